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


# -- a trickled answer ---------------------------------------------------------------------


def test_a_direct_track_gives_up_on_a_trickled_answer_within_its_timeout() -> None:
    written = Written()
    errors = ErrorLog()
    # One byte every 0.3 s: every read succeeds well within a 1 s per-read timeout, so
    # only an overall deadline ends the request. The whole answer takes about an hour.
    with HostileServer(trickle(0.3, written)) as server:
        client = trodo.TrodoClient("site", api_base=server.url, timeout=1.0, on_error=errors)
        returns_within_guard(lambda: client.track("user_42", "signup"))
        assert wait_until(lambda: written.closed_by_client_at is not None)
        client.shutdown()
    # Retries included, the call had `timeout` seconds: a few bytes at a byte per 0.3 s.
    assert written.bytes_sent < 40
    assert [e.reason for e in errors.errors] == ["gave_up"]


def test_identify_gives_up_on_a_trickled_answer_within_its_timeout() -> None:
    written = Written()
    with HostileServer(by_path({"/api/sdk/identify": trickle(0.3, written)})) as server:
        client = trodo.TrodoClient("site", api_base=server.url, timeout=1.0)
        result = returns_within_guard(lambda: client.for_user("anon").identify("db_1"))
        client.shutdown()
    assert result is not None
    assert not result.ok
    assert written.bytes_sent < 40


def test_an_async_direct_track_gives_up_on_a_trickled_answer_within_its_timeout() -> None:
    written = Written()
    errors = ErrorLog()

    async def scenario(url: str) -> None:
        async with trodo.AsyncTrodoClient(
            "site", api_base=url, timeout=1.0, on_error=errors
        ) as client:
            await client.track("user_42", "signup")

    with HostileServer(trickle(0.3, written)) as server:
        returns_within_guard(lambda: asyncio.run(scenario(server.url)))
    assert written.bytes_sent < 40
    assert [e.reason for e in errors.errors] == ["gave_up"]


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


# -- an answer that never ends --------------------------------------------------------------


def test_a_200_whose_body_never_ends_is_a_transient_failure_read_only_up_to_the_cap() -> None:
    written = Written()
    errors = ErrorLog()
    with HostileServer(by_path({"/api/events": endless_body(written)})) as server:
        client = trodo.TrodoClient("site", api_base=server.url, timeout=2.0, on_error=errors)
        returns_within_guard(lambda: client.track("user_42", "signup"))
        assert wait_until(lambda: written.closed_by_client_at is not None)
        client.shutdown()
    # Retried as transient (gave_up, not rejected), never read past the cap.
    assert [e.reason for e in errors.errors] == ["gave_up"]
    assert "64 KiB" in errors.errors[0].detail or "answer" in errors.errors[0].detail
    assert written.bytes_sent < SOCKET_BUFFERS * 3


def test_the_batch_sender_reads_an_endless_body_only_up_to_the_cap() -> None:
    written = Written()
    errors = ErrorLog()
    with HostileServer(by_path({"/api/events/bulk": endless_body(written)})) as server:
        client = trodo.TrodoClient(
            "site",
            api_base=server.url,
            timeout=2.0,
            batch_enabled=True,
            retry_budget=1.0,
            on_error=errors,
        )
        client.track("user_42", "signup")
        assert not returns_within_guard(lambda: client.flush(PATIENCE))
        returns_within_guard(client.shutdown)
        assert wait_until(lambda: written.closed_by_client_at is not None, timeout=2.0)
        sent = written.bytes_sent
    assert errors.reasons() == ["gave_up"]
    assert sent < SOCKET_BUFFERS * 4


def test_the_async_batch_sender_reads_an_endless_body_only_up_to_the_cap() -> None:
    written = Written()
    errors = ErrorLog()

    async def scenario(url: str) -> bool:
        async with trodo.AsyncTrodoClient(
            "site",
            api_base=url,
            timeout=2.0,
            batch_enabled=True,
            retry_budget=1.0,
            on_error=errors,
        ) as client:
            await client.track("user_42", "signup")
            return await client.flush(PATIENCE)

    with HostileServer(by_path({"/api/events/bulk": endless_body(written)})) as server:
        assert not returns_within_guard(lambda: asyncio.run(scenario(server.url)))
        assert wait_until(lambda: written.closed_by_client_at is not None, timeout=2.0)
        sent = written.bytes_sent
    assert errors.reasons() == ["gave_up"]
    assert sent < SOCKET_BUFFERS * 4


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
