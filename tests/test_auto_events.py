"""Auto events: uncaught exceptions are captured, then passed on; disabling restores the hooks."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from trodo._core.auto_events import AutoEvents


@pytest.fixture
def captured() -> list[BaseException]:
    return []


@pytest.fixture
def auto(captured: list[BaseException]) -> Iterator[AutoEvents]:
    events = AutoEvents(captured.append)
    yield events
    events.disable()


def _fail_in_thread(error: BaseException) -> None:
    def run() -> None:
        raise error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def test_enable_installs_hooks_and_disable_restores_exactly_the_previous_ones(
    auto: AutoEvents,
) -> None:
    before = (sys.excepthook, threading.excepthook)
    auto.enable()
    assert (sys.excepthook, threading.excepthook) != before
    auto.disable()
    assert (sys.excepthook, threading.excepthook) == before


def test_enabling_twice_keeps_the_original_hooks_to_restore(auto: AutoEvents) -> None:
    before = (sys.excepthook, threading.excepthook)
    auto.enable()
    auto.enable()
    auto.disable()
    assert (sys.excepthook, threading.excepthook) == before


def test_uncaught_exception_in_a_thread_is_captured_then_passed_to_the_previous_hook(
    monkeypatch: pytest.MonkeyPatch, auto: AutoEvents, captured: list[BaseException]
) -> None:
    seen: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_value))
    auto.enable()
    error = RuntimeError("worker crashed")
    _fail_in_thread(error)
    assert captured == [error]
    assert seen == [error]


def test_uncaught_exception_in_the_main_thread_is_captured_then_passed_on(
    monkeypatch: pytest.MonkeyPatch, auto: AutoEvents, captured: list[BaseException]
) -> None:
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, error, tb: seen.append(error))
    auto.enable()
    error = ValueError("boom")
    sys.excepthook(ValueError, error, None)
    assert captured == [error]
    assert seen == [error]


def test_keyboard_interrupt_is_not_reported_as_an_error(
    monkeypatch: pytest.MonkeyPatch, auto: AutoEvents, captured: list[BaseException]
) -> None:
    monkeypatch.setattr(sys, "excepthook", lambda kind, error, tb: None)
    auto.enable()
    sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert captured == []


def test_a_failing_capture_does_not_hide_the_original_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(error: BaseException) -> None:
        raise OSError("cannot capture")

    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, error, tb: seen.append(error))
    events = AutoEvents(broken)
    events.enable()
    try:
        error = ValueError("original")
        sys.excepthook(ValueError, error, None)
    finally:
        events.disable()
    assert seen == [error]
