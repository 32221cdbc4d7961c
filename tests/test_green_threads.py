"""No thread is started or joined while a lock of the SDK is held, so green threads
(gevent, eventlet) and `gunicorn -k gevent --preload` never hang.

Under gevent, ``Thread.start()`` yields to other greenlets; one that then needs a
lock the starter holds blocks the only OS thread for good. The first tests find any
such path directly: every lock the SDK makes is tracked, and ``Thread.start`` and
``Thread.join`` fail the test when the calling thread holds one. The others run the
real thing in a subprocess, with a hard timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import Any, ClassVar

import pytest

import trodo
from trodo._core import process_end
from trodo.testing import MockTrodoServer

from .delivery_support import PATIENCE, SESSIONS, counts
from .process_support import APPS, exactly_once, hit_ids

_RealLock = threading.Lock


class _Tracked:
    """A lock that knows which threads hold it (wraps a real one)."""

    held_by: ClassVar[dict[int, set[int]]] = {}  # thread id -> ids of the tracked locks it holds
    guard = _RealLock()

    def __init__(self) -> None:
        self._lock = _RealLock()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            with self.guard:
                self.held_by.setdefault(threading.get_ident(), set()).add(id(self))
        return got

    def release(self) -> None:
        with self.guard:
            self.held_by.get(threading.get_ident(), set()).discard(id(self))
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    @classmethod
    def held_here(cls) -> bool:
        with cls.guard:
            return bool(cls.held_by.get(threading.get_ident()))


def _lock_factory() -> Any:
    """threading.Lock, tracked when an SDK module (not its test server) asks for it."""
    caller = sys._getframe(1).f_globals.get("__name__", "")
    if caller.startswith("trodo") and not caller.startswith("trodo.testing"):
        return _Tracked()
    return _RealLock()


@pytest.fixture
def lock_audit(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ``Thread.start``/``join`` and ``Event.wait`` made while the calling
    thread holds a lock of the SDK."""
    found: list[str] = []
    start, join, wait = threading.Thread.start, threading.Thread.join, threading.Event.wait

    def checked_start(self: threading.Thread) -> None:
        if _Tracked.held_here():
            found.append(f"start of {self.name}")
        start(self)

    def checked_join(self: threading.Thread, timeout: float | None = None) -> None:
        if _Tracked.held_here():
            found.append(f"join of {self.name}")
        join(self, timeout)

    def checked_wait(self: threading.Event, timeout: float | None = None) -> bool:
        if _Tracked.held_here():
            found.append(f"wait on an event by {threading.current_thread().name}")
        return wait(self, timeout)

    monkeypatch.setattr(threading, "Lock", _lock_factory)
    monkeypatch.setattr(threading.Thread, "start", checked_start)
    monkeypatch.setattr(threading.Thread, "join", checked_join)
    monkeypatch.setattr(threading.Event, "wait", checked_wait)
    return found


def _client(server: MockTrodoServer, **options: Any) -> trodo.TrodoClient:
    return trodo.TrodoClient(
        server.site_id, api_base=server.url, batch_enabled=True, batch_flush_interval=60, **options
    )


def test_tracking_starts_the_sender_with_no_sdk_lock_held(
    trodo_server: MockTrodoServer, lock_audit: list[str]
) -> None:
    client = _client(trodo_server, batch_size=2)
    for i in range(5):
        client.track("user_42", "hit", {"i": i})
    assert client.flush(PATIENCE)
    client.shutdown()
    assert lock_audit == []
    assert hit_ids(trodo_server.events) == exactly_once(5)


def test_flush_and_shutdown_wait_for_and_join_the_sender_with_no_sdk_lock_held(
    trodo_server: MockTrodoServer, lock_audit: list[str]
) -> None:
    flushed = _client(trodo_server)
    flushed.track("user_42", "hit", {"i": 0})
    assert flushed.flush(PATIENCE)  # waits for the sender
    flushed.shutdown()
    stopped = _client(trodo_server)
    stopped.track("user_42", "hit", {"i": 1})
    stopped.shutdown()  # waits for the sender, then joins it
    assert lock_audit == []
    assert hit_ids(trodo_server.events) == exactly_once(2)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_starts_its_sender_with_no_sdk_lock_held(
    trodo_server: MockTrodoServer, lock_audit: list[str]
) -> None:
    client = _client(trodo_server)
    client.track("user_42", "parent")
    assert client.flush(PATIENCE)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        code = 1
        try:
            client.track("user_7", "child")
            code = 0 if client.flush(PATIENCE) and not lock_audit else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    client.shutdown()
    assert lock_audit == []
    assert counts(trodo_server.events) == {"parent": 1, "child": 1}


def test_the_end_of_the_process_delivers_with_no_sdk_lock_held(
    trodo_server: MockTrodoServer, lock_audit: list[str]
) -> None:
    client = _client(trodo_server)
    for i in range(3):
        client.track("user_42", "hit", {"i": i})
    # What the SIGTERM handler does (on a thread of its own, joined), then atexit.
    process_end._deliver_bounded()
    process_end.deliver_all()
    assert lock_audit == []
    assert hit_ids(trodo_server.events) == exactly_once(3)


# -- the real thing, in a subprocess -----------------------------------------------------


@pytest.mark.parametrize(
    ("green", "variant"),
    [
        ("gevent", "patch_first"),
        ("gevent", "client_first"),
        ("gevent", "used_first"),
        ("eventlet", "patch_first"),
        ("eventlet", "client_first"),
        ("gevent", "direct"),
    ],
    ids=[
        "gevent_patched_before_the_client",
        "gevent_patched_after_the_client_exists",
        "gevent_patched_after_the_client_has_sent",
        "eventlet_patched_before_the_client",
        "eventlet_patched_after_the_client_exists",
        "gevent_direct_sends_share_a_session_made_before_patching",
    ],
)
def test_green_threads_share_one_client_without_hanging(
    trodo_server: MockTrodoServer, green: str, variant: str
) -> None:
    pytest.importorskip(green)
    direct = variant == "direct"
    if direct:  # the first registration is slow: the others arrive while it is under way
        trodo_server.delay_next(0.5, path=SESSIONS)
    env = {
        **os.environ,
        "TRODO_SITE_ID": trodo_server.site_id,
        "TRODO_API_BASE": trodo_server.url,
        "TRODO_GREEN": green,
        "TRODO_APP_VARIANT": "client_first" if direct else variant,
        "TRODO_DIRECT": "1" if direct else "0",
    }
    try:
        result = subprocess.run(
            [sys.executable, str(APPS / "green.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=45,
            check=False,
        )
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"the {green} script hung ({variant}):\n{hung.stdout}\n{hung.stderr}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DELIVERED True" in result.stdout
    assert hit_ids(trodo_server.events) == exactly_once(160)
    if direct:
        assert len(trodo_server.sessions) == 1
