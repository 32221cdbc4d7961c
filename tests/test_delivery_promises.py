"""The delivery promises under a flaky server, a full queue, absurd headers and an
``on_error`` that raises: against the mock Trodo server on a real socket.

- Retrying measures lack of progress: with 30% of all requests (session registrations
  included) failing, nothing is lost.
- The queue's byte bound counts every byte an event takes on the wire, ids included.
- Every event given up reaches ``on_error``: the counts it hears add up to ``stats()``.
- ``on_error`` may raise anything; delivery goes on.
- A Retry-After date with an absurd year is just an answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import threading
from collections import Counter
from typing import Any

import orjson
import pytest

import trodo
from trodo.testing import Answer, MockTrodoServer

from .delivery_support import BULK, EVENTS, PATIENCE, SESSIONS, ErrorLog, Gate

# -- a flaky server: 30% of every request fails ------------------------------------------------

SEEDS = range(10)
USERS = 20
EVENTS_PER_SEED = 3_000  # the run; the bench runs it against the peers too
FAIL_RATE = 0.3


class Flaky:
    """A responder that fails ``rate`` of every request with a 5xx, from a seeded draw."""

    def __init__(self, seed: int, rate: float = FAIL_RATE) -> None:
        self._random = random.Random(seed)
        self._rate = rate
        self._lock = threading.Lock()
        self.failed: Counter[str] = Counter()

    def __call__(self, path: str, body: Any) -> Answer | None:
        with self._lock:
            if self._random.random() >= self._rate:
                return None
            self.failed[path] += 1
            status = self._random.choice((500, 502, 503, 504))
        return Answer(status)


def _flaky_run(seed: int, results: dict[int, Any]) -> None:
    with MockTrodoServer() as server:
        flaky = Flaky(seed)
        server.respond_with(flaky)
        errors = ErrorLog()
        client = server.client(batch_enabled=True, batch_size=50, timeout=2.0, on_error=errors)
        for i in range(EVENTS_PER_SEED):
            client.track(f"user-{i % USERS}", "purchase", {"i": i})
        delivered_all = client.flush(PATIENCE * 3)
        client.shutdown()
        ids = Counter(e["custom_properties"]["i"] for e in server.events)
        results[seed] = (delivered_all, ids, errors.reasons(), dict(flaky.failed))


def test_a_server_failing_30_percent_of_all_requests_loses_nothing_on_any_seed() -> None:
    results: dict[int, Any] = {}
    # The seeds run side by side (each its own server and client): the waits are backoff.
    threads = [threading.Thread(target=_flaky_run, args=(seed, results)) for seed in SEEDS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE * 4)
    assert sorted(results) == list(SEEDS)
    for seed, (delivered_all, ids, reasons, failed) in results.items():
        assert failed.get(SESSIONS, 0) > 0, f"seed {seed}: no registration failed"
        assert reasons == [], f"seed {seed}: given up {reasons}"
        assert delivered_all, f"seed {seed}"
        assert sorted(ids) == list(range(EVENTS_PER_SEED)), f"seed {seed}: lost events"
        assert max(ids.values()) == 1, f"seed {seed}: duplicated events"


def test_the_async_client_loses_nothing_to_a_server_failing_30_percent() -> None:
    async def scenario(server: MockTrodoServer, errors: ErrorLog) -> bool:
        async with trodo.AsyncTrodoClient(
            server.site_id,
            api_base=server.url,
            batch_enabled=True,
            batch_size=50,
            timeout=2.0,
            on_error=errors,
        ) as client:
            for i in range(EVENTS_PER_SEED):
                await client.track(f"user-{i % USERS}", "purchase", {"i": i})
            return await client.flush(PATIENCE * 3)

    for seed in (0, 1):
        with MockTrodoServer() as server:
            flaky = Flaky(seed)
            server.respond_with(flaky)
            errors = ErrorLog()
            assert asyncio.run(scenario(server, errors))
            ids = sorted(e["custom_properties"]["i"] for e in server.events)
        assert flaky.failed[SESSIONS] > 0
        assert errors.reasons() == []
        assert ids == list(range(EVENTS_PER_SEED))


def test_a_failed_registration_does_not_hold_up_other_sessions_events() -> None:
    with MockTrodoServer() as server:
        # Only the registration of user_b's session fails, for a while.
        failing = {"count": 0}

        def refuse_b(path: str, body: Any) -> Answer | None:
            if body["sessionData"]["distinct_id"] == "user_b" and failing["count"] < 3:
                failing["count"] += 1
                return Answer(503)
            return None

        server.respond_with(refuse_b, path=SESSIONS)
        client = server.client(batch_enabled=True, batch_size=1000, batch_flush_interval=60.0)
        client.track("user_a", "a1")
        client.track("user_b", "b1")
        client.track("user_a", "a2")
        assert client.flush(PATIENCE)
        paths = [(r.path, r.status) for r in server.requests]
        client.shutdown()
    # user_a's events went in the first bulk request, while b's registration was retried;
    # b's event went only after b's session was accepted.
    first_bulk = next(r for r in server.requests if r.path == BULK and r.status == 200)
    assert [e["event_name"] for e in first_bulk.events] == ["a1", "a2"]
    assert sorted(e["event_name"] for e in server.events) == ["a1", "a2", "b1"]
    b_registered = max(i for i, (p, s) in enumerate(paths) if p == SESSIONS and s == 200)
    b_sent = max(i for i, (p, s) in enumerate(paths) if p == BULK and s == 200)
    assert b_registered < b_sent
    assert client.stats().dropped == {}


def test_a_refused_registration_drops_only_that_sessions_events() -> None:
    with MockTrodoServer() as server:

        def refuse_b(path: str, body: Any) -> Answer | None:
            if body["sessionData"]["distinct_id"] == "user_b":
                return Answer(400, {"error": "bad session"})
            return None

        server.respond_with(refuse_b, path=SESSIONS)
        errors = ErrorLog()
        client = server.client(batch_enabled=True, batch_size=1000, on_error=errors)
        for name in ("a1", "b1", "a2"):
            client.track(f"user_{name[0]}", name)
        assert not client.flush(PATIENCE)
        client.shutdown()
        names = [e["event_name"] for e in server.events]
    assert names == ["a1", "a2"]
    assert errors.reasons() == ["rejected"]
    assert errors.lost_names("rejected") == ["b1"]


# -- the byte bound counts ids -----------------------------------------------------------------


def test_the_queue_byte_bound_counts_every_byte_an_event_takes_on_the_wire() -> None:
    bound = 256 * 1024
    session_id = "s" * 8192  # caller-controlled (a browser header): as large as it likes
    with MockTrodoServer() as server:
        gate = Gate(lambda path, body: path == BULK)
        server.respond_with(gate, path=BULK)
        errors = ErrorLog()
        client = server.client(
            batch_enabled=True, batch_size=1, max_queue_bytes=bound, on_error=errors
        )
        for i in range(2_000):
            client.for_user(f"user-{i}", session_id=session_id + str(i)).track("e", {"i": i})
            if errors.errors:
                break
        assert errors.reasons() == ["queue_full"]
        gate.open()
        assert client.flush(PATIENCE)  # everything accepted (the refused one never was)
        client.shutdown()
        wire = [len(json.dumps(e, separators=(",", ":"))) for e in server.events]
    assert sum(wire) <= bound
    # ...and the bound is used: the queue holds what fits, not a tenth of it.
    assert sum(wire) >= bound // 2


# Quotes, backslashes and control characters (2 to 6 bytes each on the wire), text
# of several UTF-8 bytes a character, floats of 17 digits and the longest ints.
HOSTILE_PROPERTIES: dict[str, Any] = {
    'say "hi"\n': '"\\\x01\x1f' * 64,
    "café ☕": "ünïcödé ☕" * 16,
    "floats": [math.pi * 10.0**-k for k in range(1, 40)],
    "ints": [-(2**63)] * 16,
    "nested": {'q"\t': ["\x00" * 32, 1.2345678901234567e-05], "\x7f": None},
}


def test_the_queue_byte_bound_counts_escapes_and_long_numbers_in_properties() -> None:
    bound = 256 * 1024
    with MockTrodoServer() as server:
        gate = Gate(lambda path, body: path == BULK)
        server.respond_with(gate, path=BULK)
        errors = ErrorLog()
        client = server.client(
            batch_enabled=True, batch_size=1, max_queue_bytes=bound, on_error=errors
        )
        for i in range(2_000):
            user = client.for_user(f'user "{i}"\x01', session_id=f"s\\{i}\x1f")
            user.track('bought "it"\n', HOSTILE_PROPERTIES, category="tab\tbed")
            if errors.errors:
                break
        assert errors.reasons() == ["queue_full"]
        gate.open()
        assert client.flush(PATIENCE)
        client.shutdown()
        # Each event as the bulk body carries it: orjson, as the SDK writes it, and a comma.
        wire = [len(orjson.dumps(e)) + 1 for e in server.events]
    assert sum(wire) <= bound
    assert sum(wire) >= bound // 2


def test_the_queue_byte_bound_counts_escapes_in_the_distinct_id_of_a_profile_write() -> None:
    bound = 64 * 1024
    people_set = "/api/sdk/people/set"
    with MockTrodoServer() as server:
        gate = Gate(lambda path, body: path == people_set)
        server.respond_with(gate, path=people_set)
        errors = ErrorLog()
        client = server.client(batch_enabled=True, max_queue_bytes=bound, on_error=errors)
        for i in range(2_000):
            # Quotes and control characters: 2 and 6 bytes each in the body.
            client.for_user(f'u"{i}"' + "\x01" * 40).people.set({"plan": "pro"})
            if errors.errors:
                break
        assert errors.reasons() == ["queue_full"]
        gate.open()
        assert client.flush(PATIENCE)
        client.shutdown()
        wire = [len(r.body) for r in server.requests if r.path == people_set]  # as sent
    assert sum(wire) <= bound
    assert sum(wire) >= bound // 2


def test_the_queue_byte_bound_counts_the_site_id_in_the_body_of_a_profile_write() -> None:
    bound = 64 * 1024
    people_set = "/api/sdk/people/set"
    site_id = "s" * 400  # every people and group body carries siteId
    with MockTrodoServer(site_id=site_id) as server:
        gate = Gate(lambda path, body: path == people_set)
        server.respond_with(gate, path=people_set)
        errors = ErrorLog()
        client = server.client(batch_enabled=True, max_queue_bytes=bound, on_error=errors)
        for i in range(2_000):
            client.for_user(f"u{i}").people.set({"plan": "pro"})
            if errors.errors:
                break
        assert errors.reasons() == ["queue_full"]
        gate.open()
        assert client.flush(PATIENCE)
        client.shutdown()
        wire = [len(r.body) for r in server.requests if r.path == people_set]  # as sent
    assert sum(wire) <= bound
    assert sum(wire) >= bound // 2


# -- every event given up is heard of ------------------------------------------------------------


def _queue_full_total(errors: ErrorLog) -> int:
    return sum(e.count for e in errors.errors if e.reason == "queue_full")


def test_a_queue_full_episode_is_reported_with_its_true_total_at_flush() -> None:
    with MockTrodoServer() as server:
        gate = Gate()
        server.respond_with(gate, path=BULK)
        errors = ErrorLog()
        client = server.client(
            batch_enabled=True, batch_size=10, max_queue_size=10, on_error=errors
        )
        for i in range(100):
            client.track("user_42", f"e{i}")
        # Reported when it starts, before the episode ends.
        assert errors.reasons() == ["queue_full"]
        gate.open()
        client.flush(PATIENCE)
        dropped = client.stats().dropped
        client.shutdown()
    assert dropped["queue_full"] == 90
    assert _queue_full_total(errors) == 90


def test_a_queue_full_episode_is_reported_when_it_ends() -> None:
    with MockTrodoServer() as server:
        gate = Gate()
        server.respond_with(gate, path=BULK)
        errors = ErrorLog()
        client = server.client(
            batch_enabled=True, batch_size=10, max_queue_size=10, on_error=errors
        )
        for i in range(50):
            client.track("user_42", f"e{i}")
        gate.open()
        server.wait_for_events(10, timeout=PATIENCE)
        # The queue has drained: the next event ends the episode, which is reported.
        for _ in range(200):
            client.track("user_42", "after")
            if len(errors.errors) == 2:
                break
            threading.Event().wait(0.05)
        [started, ended] = errors.errors
        dropped = client.stats().dropped["queue_full"]
        client.shutdown()
    assert (started.reason, ended.reason) == ("queue_full", "queue_full")
    assert started.count + ended.count == dropped >= 40
    assert f"{dropped} event(s) dropped" in ended.detail


# -- on_error may raise anything ---------------------------------------------------------------


@pytest.mark.parametrize("raised", [SystemExit, KeyboardInterrupt, RuntimeError])
def test_an_on_error_that_raises_anything_does_not_stop_delivery(
    raised: type[BaseException], caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def on_error(error: trodo.DeliveryError) -> None:
        calls.append(str(error.reason))
        raise raised("from on_error")

    with caplog.at_level(logging.ERROR, logger="trodo"), MockTrodoServer() as server:
        client = server.client(batch_enabled=True, on_error=on_error)
        for round_ in range(2):
            server.fail_next(status=400, path=BULK)  # the lone event of the batch: rejected
            client.track("user_42", f"bad{round_}")
            assert not client.flush(PATIENCE)
        client.track("user_42", "good")
        assert client.flush(PATIENCE)
        client.shutdown()
        names = [e["event_name"] for e in server.events]
    assert calls == ["rejected", "rejected"]
    assert names == ["good"]
    said = [r for r in caplog.records if "on_error" in r.getMessage()]
    assert len(said) == 1


@pytest.mark.parametrize("raised", [SystemExit, KeyboardInterrupt])
def test_an_on_error_that_raises_never_raises_out_of_a_direct_track(
    raised: type[BaseException],
) -> None:
    def on_error(error: trodo.DeliveryError) -> None:
        raise raised("from on_error")

    with MockTrodoServer() as server:
        client = server.client(on_error=on_error)
        server.fail_next(status=400, path=EVENTS)
        client.track("user_42", "bad")  # does not raise
        client.track("user_42", "good")
        client.shutdown()
        assert [e["event_name"] for e in server.events] == ["good"]


# -- absurd Retry-After dates ------------------------------------------------------------------

ABSURD_DATES = [
    "Fri, 31 Dec 99999999999999999999 23:59:59 GMT",
    "Fri, 31 Dec 99999 23:59:59 GMT",
    "Mon, 01 Jan 0001 00:00:00 +2359",
    "Mon, 99 Foo 2020 99:99:99 GMT",
]


@pytest.mark.parametrize("date", ABSURD_DATES)
def test_a_retry_after_with_an_absurd_date_is_retried_in_a_direct_track(date: str) -> None:
    errors = ErrorLog()
    with MockTrodoServer() as server:
        server.fail_next(status=503, headers={"Retry-After": date}, path=EVENTS)
        client = server.client(on_error=errors)
        client.track("user_42", "signup")
        client.shutdown()
        assert [e["event_name"] for e in server.events] == ["signup"]
    assert errors.errors == []


@pytest.mark.parametrize("date", ABSURD_DATES)
def test_a_retry_after_with_an_absurd_date_is_retried_by_the_batch_sender(date: str) -> None:
    errors = ErrorLog()
    with MockTrodoServer() as server:
        server.fail_next(status=503, headers={"Retry-After": date}, path=BULK)
        client = server.client(batch_enabled=True, on_error=errors)
        client.track("user_42", "signup")
        assert client.flush(PATIENCE)
        client.shutdown()
        assert [e["event_name"] for e in server.events] == ["signup"]
    assert errors.errors == []
