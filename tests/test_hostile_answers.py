"""What ``timeout`` bounds and how answers are read, against a raw-socket server that
misbehaves: an answer trickled a byte at a time, a 200 whose body never ends, headers
that are not HTTP. Every path (sync and async, batching on and off, identify) gives up
on such an answer within its deadline, reads at most a small cap of it, treats it as a
transient failure, and leaves nothing reading once ``shutdown()`` has returned.

The only clock in these tests guards the test itself: a call that does not return
within a minute fails the test instead of hanging it (the faults it guards against last
for hours). What is asserted is what the server saw: the client closed the connection
before the answer was complete, and how many bytes it had taken.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import trodo

from .delivery_support import PATIENCE, ErrorLog
from .hostile_server import HostileServer, Written, by_path, endless_body, raw, trickle

GUARD = 60.0  # a call still running after this is hung
# The answer cap: an answer (status line, headers, body) larger than this is a failed one.
ANSWER_CAP = 64 * 1024
# Loopback socket buffers hold a few MB that the server can write without the client
# reading any of it; well below what an unbounded read takes in a second (hundreds of MB).
SOCKET_BUFFERS = 16 * 1024 * 1024


def returns_within_guard(call: Callable[[], Any]) -> Any:
    """Run ``call`` on a thread; fail the test if it is still running after GUARD."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(GUARD)
    assert not thread.is_alive(), f"the call was still running after {GUARD:g}s"
    return result[0] if result else None


def wait_until(condition: Callable[[], bool], timeout: float = PATIENCE) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# -- every path against every hostile answer -------------------------------------------------

# What each path sends to the hostile answer (the rest is answered normally, so a
# session registers and a reset has a session to forget).
TRACK, TRACK_BULK = "/api/events", "/api/events/bulk"
IDENTIFY, RESET, WALLET = "/api/sdk/identify", "/api/sdk/reset", "/api/sdk/wallet-address"
OPTIONS: dict[str, Any] = {"timeout": 1.0, "retry_budget": 1.0}


def _sync(operation: Callable[[trodo.TrodoClient], bool], **options: Any) -> Any:
    def run(url: str, errors: ErrorLog) -> bool:
        client = trodo.TrodoClient("site", api_base=url, on_error=errors, **OPTIONS, **options)
        try:
            return operation(client)
        finally:
            client.shutdown()

    return run


def _async(operation: Callable[[trodo.AsyncTrodoClient], Any], **options: Any) -> Any:
    def run(url: str, errors: ErrorLog) -> bool:
        async def scenario() -> bool:
            async with trodo.AsyncTrodoClient(
                "site", api_base=url, on_error=errors, **OPTIONS, **options
            ) as client:
                return bool(await operation(client))

        return asyncio.run(scenario())

    return run


def _track(client: trodo.TrodoClient) -> bool:
    client.track("user_42", "signup")
    return client.flush(PATIENCE)


async def _async_track(client: trodo.AsyncTrodoClient) -> bool:
    await client.track("user_42", "signup")
    return await client.flush(PATIENCE)


def _reset(client: trodo.TrodoClient) -> bool:
    user = client.for_user("user_42")
    user.get_session_id()  # a session, registered by the reset before it is forgotten
    return user.reset()


async def _async_reset(client: trodo.AsyncTrodoClient) -> bool:
    user = client.for_user("user_42")
    user.get_session_id()
    return await user.reset()


async def _async_identify(client: trodo.AsyncTrodoClient) -> bool:
    return (await client.for_user("anon").identify("db_1")).ok


EVERY_PATH: dict[str, tuple[str, Any]] = {
    "sync direct track": (TRACK, _sync(_track)),
    "sync batched track": (TRACK_BULK, _sync(_track, batch_enabled=True)),
    "async direct track": (TRACK, _async(_async_track)),
    "async batched track": (TRACK_BULK, _async(_async_track, batch_enabled=True)),
    "sync identify": (IDENTIFY, _sync(lambda c: c.for_user("anon").identify("db_1").ok)),
    "async identify": (IDENTIFY, _async(_async_identify)),
    "sync reset": (RESET, _sync(_reset)),
    "async reset": (RESET, _async(_async_reset)),
    "sync wallet_address": (WALLET, _sync(lambda c: c.wallet_address("user_42", "0xabc"))),
    "async wallet_address": (WALLET, _async(lambda c: c.wallet_address("user_42", "0xabc"))),
}


def _hostile(fault: str, written: Written) -> Any:
    if fault == "trickled":  # a byte every 0.3 s: every read is quick, the answer takes an hour
        return trickle(0.3, written)
    if fault == "endless":
        return endless_body(written)
    return raw(b"HTTP/1.1 200 OK\r\nthis is not a header\r\n\r\n{}")


@pytest.mark.parametrize("fault", ["trickled", "endless", "broken headers"])
@pytest.mark.parametrize("path", EVERY_PATH.values(), ids=EVERY_PATH.keys())
def test_every_path_ends_a_hostile_answer_at_its_deadline_as_a_transient_failure(
    path: tuple[str, Any], fault: str
) -> None:
    where, run = path
    written = Written()
    errors = ErrorLog()
    with HostileServer(by_path({where: _hostile(fault, written)})) as server:
        accepted = returns_within_guard(lambda: run(server.url, errors))
        tries = server.paths().count(where)
        if fault != "broken headers":
            # The client ended the answer (the server's next write failed).
            assert wait_until(lambda: written.closed_by_client_at is not None)
    assert accepted is False  # returned (never raised), and said so
    assert tries >= 1
    if where in (TRACK, TRACK_BULK):
        assert errors.reasons() == ["gave_up"]  # transient: retried, then given up
    if fault == "trickled":
        # Retries included, the call (or the batch's budget) had about a second:
        # a handful of bytes at a byte per 0.3 s.
        assert written.bytes_sent < 40
    if fault == "endless":
        assert written.bytes_sent < SOCKET_BUFFERS * 4  # read up to the cap, not on


# -- a trickled answer ---------------------------------------------------------------------


def test_nothing_is_still_reading_a_trickled_answer_once_shutdown_returns() -> None:
    written = Written()
    # A long timeout: only shutdown() can end the request the sender is in.
    with HostileServer(by_path({"/api/events/bulk": trickle(0.3, written)})) as server:
        client = trodo.TrodoClient(
            "site", api_base=server.url, timeout=30.0, batch_enabled=True, shutdown_timeout=1.0
        )
        client.track("user_42", "signup")
        client.flush(0)
        assert wait_until(lambda: written.bytes_sent > 0)
        returns_within_guard(client.shutdown)
        # The connection is closed: the server's next byte fails.
        assert wait_until(lambda: written.closed_by_client_at is not None, timeout=2.0)
        sent = written.bytes_sent
    assert client.stats().dropped == {"shutdown": 1}
    assert sent < 100


# -- answers that are not HTTP, or absurd ----------------------------------------------------

BROKEN_ANSWERS = {
    "no colon in a header": b"HTTP/1.1 200 OK\r\nthis is not a header\r\n\r\n{}",
    "not a status line": b"HELLO THERE\r\n\r\n",
    "a status that is not a number": b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}",
    "an absurd content length": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n{}"
    ),
    "a negative content length": b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n{}",
    "an empty answer": b"",
    "headers that never end": b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * 200_000,
}


@pytest.mark.parametrize("answer", BROKEN_ANSWERS.values(), ids=BROKEN_ANSWERS.keys())
def test_an_answer_that_is_not_http_is_a_transient_failure_never_a_raise(answer: bytes) -> None:
    errors = ErrorLog()
    with HostileServer(by_path({"/api/events": raw(answer)})) as server:
        client = trodo.TrodoClient("site", api_base=server.url, timeout=2.0, on_error=errors)
        returns_within_guard(lambda: client.track("user_42", "signup"))
        client.shutdown()
        tries = server.paths().count("/api/events")
    assert errors.reasons() == ["gave_up"]
    assert tries == 3  # the first try and two retries: transient


ODD_BUT_ACCEPTED = {
    "a body that is not JSON": b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n<html/>!!",
    "a JSON body of the wrong shape": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]",
    "a status outside HTTPStatus": b"HTTP/1.1 299 Fine\r\nContent-Length: 2\r\n\r\n{}",
}


@pytest.mark.parametrize("answer", ODD_BUT_ACCEPTED.values(), ids=ODD_BUT_ACCEPTED.keys())
def test_a_2xx_with_an_odd_body_is_accepted(answer: bytes) -> None:
    errors = ErrorLog()
    with HostileServer(raw(answer)) as server:
        client = trodo.TrodoClient("site", api_base=server.url, timeout=2.0, on_error=errors)
        user = client.for_user("anon")
        result = returns_within_guard(lambda: user.identify("db_1"))
        client.track("user_42", "signup")
        client.shutdown()
    assert result.ok
    assert errors.errors == []
    assert client.stats().sent == 1
