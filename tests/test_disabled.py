"""disabled=True / TRODO_DISABLED=1: a client that checks every call and sends nothing."""

from __future__ import annotations

import asyncio
import threading

import pytest

import trodo
from trodo.testing import MockTrodoServer


@pytest.fixture(autouse=True)
def no_site_id(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TRODO_SITE_ID", "TRODO_API_BASE", "TRODO_DISABLED"):
        monkeypatch.delenv(name, raising=False)


def use_every_operation(client: trodo.TrodoClient) -> None:
    user = client.for_user("user_42", session_id="b7d4c1e2")
    user.track("checkout_completed", {"amount": 49.5})
    client.track("user_42", "invoice_paid")
    try:
        raise TimeoutError("provider")
    except TimeoutError as exc:
        user.capture_error(exc)
    assert user.identify("db_user_1001") == trodo.IdentifyResult(
        ok=True, distinct_id="user_42", merged=False
    )
    assert user.wallet_address("0x5290") is True
    assert user.reset() is True
    assert client.flush() is True


def test_a_disabled_client_needs_no_site_id_and_sends_nothing(
    trodo_server: MockTrodoServer,
) -> None:
    threads = set(threading.enumerate())
    client = trodo.TrodoClient(disabled=True, api_base=trodo_server.url, batch_enabled=True)

    use_every_operation(client)
    client.shutdown()

    assert trodo_server.requests == []  # no connection was ever opened
    assert set(threading.enumerate()) == threads  # and no thread started


def test_it_counts_what_it_would_have_sent(trodo_server: MockTrodoServer) -> None:
    client = trodo.TrodoClient(disabled=True, api_base=trodo_server.url)
    use_every_operation(client)
    stats = client.stats()
    assert stats.disabled == 3  # two events and one error
    assert (stats.sent, stats.queued, stats.requests, stats.dropped_total) == (0, 0, 0, 0)
    client.shutdown()


def test_trodo_disabled_in_the_environment_switches_it_off(
    monkeypatch: pytest.MonkeyPatch, trodo_server: MockTrodoServer
) -> None:
    monkeypatch.setenv("TRODO_DISABLED", "1")
    monkeypatch.setenv("TRODO_API_BASE", trodo_server.url)
    client = trodo.TrodoClient()  # no site id anywhere: fine when disabled
    assert client.config.disabled is True
    use_every_operation(client)
    client.shutdown()
    assert trodo_server.requests == []


def test_an_explicit_disabled_false_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRODO_DISABLED", "1")
    with pytest.raises(ValueError, match="site id is required"):
        trodo.TrodoClient(disabled=False)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.track("", "event"), ValueError),
        (lambda c: c.track("user", ""), ValueError),
        (lambda c: c.track("user", "event", ["not", "a", "mapping"]), TypeError),
        (lambda c: c.track("user", "event", {"when": object()}), TypeError),
        (lambda c: c.capture_error("user", "not an exception"), TypeError),
        (lambda c: c.capture_error("user", ValueError(), severity="fatal"), ValueError),
        (lambda c: c.for_user("user").identify(""), ValueError),
        (lambda c: c.wallet_address("user", 5), TypeError),
    ],
)
def test_a_disabled_client_still_checks_every_call(call: object, error: type[Exception]) -> None:
    with trodo.TrodoClient(disabled=True) as client, pytest.raises(error):
        call(client)  # type: ignore[operator]


def test_other_options_are_still_checked_when_disabled() -> None:
    with pytest.raises(ValueError, match="timeout"):
        trodo.TrodoClient(disabled=True, timeout=-1)


def test_the_async_client_disabled_sends_nothing_and_starts_no_task(
    trodo_server: MockTrodoServer,
) -> None:
    async def scenario() -> tuple[int, int]:
        tasks = len(asyncio.all_tasks())
        client = trodo.AsyncTrodoClient(
            disabled=True, api_base=trodo_server.url, batch_enabled=True
        )
        user = client.for_user("user_42")
        await user.track("checkout_completed")
        await user.capture_error(ValueError("x"))
        assert (await user.identify("db_1")).ok
        assert await user.reset()
        with pytest.raises(ValueError, match="event_name"):
            await user.track("")
        running = len(asyncio.all_tasks())
        assert await client.flush()
        await client.shutdown()
        return running - tasks, client.stats().disabled

    assert asyncio.run(scenario()) == (0, 2)
    assert trodo_server.requests == []


def test_module_level_init_disabled(default_client: None, trodo_server: MockTrodoServer) -> None:
    trodo.init(disabled=True, api_base=trodo_server.url)
    trodo.track("user_42", "signup")
    assert trodo.get_client().stats().disabled == 1
    trodo.shutdown()
    assert trodo_server.requests == []
