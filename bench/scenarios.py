"""One benchmark scenario per fresh process: ``python -m bench.scenarios NAME --sink URL``.

Prints one JSON object of figures on stdout. A subject that is not installed (a peer
without the ``bench`` extra) exits with status 3 and ``{"unavailable": reason}``.

The application's inputs (distinct id and properties of each event) are built before
the clock starts, for every subject alike: what is timed is the SDK's work (or the
floor's), not the caller's own dict building.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.workload import (
    EVENT_NAME,
    SITE_ID,
    USERS,
    new_session_id,
    properties,
    session_registration,
    user_id,
    wire_event,
)

BULK_SIZE = 100
UNAVAILABLE = 3
Inputs = list[tuple[str, dict[str, Any]]]
Figures = dict[str, float]


class SubjectMissingError(Exception):
    """The subject of a scenario is not installed here."""


def inputs(n: int, first: int = 0) -> Inputs:
    """The caller's side of events first..first+n-1: (distinct id, properties)."""
    return [(user_id(i), properties(i)) for i in range(first, first + n)]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # all threads of the process
    return usage.ru_utime + usage.ru_stime


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def burst(
    events: Inputs, track: Callable[[str, dict[str, Any]], object], flush: Callable[[], object]
) -> Figures:
    """Time a tracking loop over ``events`` and the flush after it, with CPU and RSS."""
    n = len(events)
    rss_before = _rss_bytes()
    cpu_before = _cpu_seconds()
    start = time.perf_counter()
    for distinct_id, props in events:
        track(distinct_id, props)
    looped = time.perf_counter()
    flush()
    flushed = time.perf_counter()
    cpu_after = _cpu_seconds()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {
        "caller_us": (looped - start) / n * 1e6,
        "cpu_us": (cpu_after - cpu_before) / n * 1e6,
        "flush_ms": (flushed - looped) * 1e3,
        "events_per_s": n / (flushed - start),
        "rss_mb": max(0, peak_rss - rss_before) / 2**20,
    }


@contextmanager
def _httpx_client(sink: str) -> Iterator[Any]:
    import httpx

    headers = {"Content-Type": "application/json", "X-Trodo-Site-Id": SITE_ID}
    with httpx.Client(base_url=sink, headers=headers, timeout=10.0) as client:
        yield client


def _post(client: Any, path: str, body: bytes) -> None:
    response = client.post(path, content=body)
    if response.status_code != 200:
        raise RuntimeError(f"sink answered {response.status_code} to {path}")


def _stdlib_dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def floor(sink: str, n: int, dumps: Callable[[Any], bytes] = _stdlib_dumps) -> Figures:
    """The floor: a hand-rolled loop that registers each user's session once, builds the
    exact wire events, json-encodes 100 at a time (the standard library's ``json``,
    unless ``dumps`` says otherwise) and POSTs them on one kept-alive client."""
    events = inputs(n)
    with _httpx_client(sink) as client:
        sessions: dict[str, str] = {}
        pending: list[dict[str, Any]] = []

        def track(distinct_id: str, props: dict[str, Any]) -> None:
            session_id = sessions.get(distinct_id)
            if session_id is None:
                session_id = sessions[distinct_id] = new_session_id()
                body = dumps(session_registration(distinct_id, session_id))
                _post(client, "/api/sdk/track", body)
            pending.append(wire_event(distinct_id, session_id, props))
            if len(pending) >= BULK_SIZE:
                flush()

        def flush() -> None:
            if pending:
                _post(client, "/api/events/bulk", dumps({"events": pending}))
                pending.clear()

        return burst(events, track, flush)


def floor_orjson(sink: str, n: int) -> Figures:
    """The floor with orjson as its JSON encoder, as trodo encodes its bodies: shown
    beside the floor so that what the encoder buys and what trodo's own work costs
    can be told apart."""
    try:
        import orjson
    except ImportError as error:
        raise SubjectMissingError(f"orjson: {error}") from error
    return floor(sink, n, orjson.dumps)


def trodo_batch(sink: str, n: int) -> Figures:
    """Trodo with default settings except ``batch_enabled=True``."""
    import trodo

    client = trodo.TrodoClient(site_id=SITE_ID, api_base=sink, batch_enabled=True)
    try:
        return burst(
            inputs(n),
            lambda distinct_id, props: client.track(distinct_id, EVENT_NAME, props),
            client.flush,
        )
    finally:
        client.shutdown()


def posthog_batch(sink: str, n: int) -> Figures:
    """posthog in its default background-batching mode."""
    try:
        from posthog import Posthog
    except ImportError as error:
        raise SubjectMissingError(f"posthog: {error}") from error
    client = Posthog("bench", host=sink)
    try:
        return burst(
            inputs(n),
            lambda distinct_id, props: client.capture(
                EVENT_NAME, distinct_id=distinct_id, properties=props
            ),
            lambda: client.flush(timeout_seconds=None),
        )
    finally:
        client.shutdown()


def segment_batch(sink: str, n: int) -> Figures:
    """segment-analytics-python in its default background-batching mode."""
    try:
        from segment.analytics import Client  # type: ignore[import-untyped]
    except ImportError as error:
        raise SubjectMissingError(f"segment-analytics-python: {error}") from error
    client = Client(write_key="bench", host=sink)
    try:
        return burst(
            inputs(n),
            lambda distinct_id, props: client.track(
                user_id=distinct_id, event=EVENT_NAME, properties=props
            ),
            client.flush,
        )
    finally:
        client.shutdown()


def _one_at_a_time(n: int, track: Callable[[str, dict[str, Any]], object]) -> Figures:
    # One event per user first, untimed: sessions registered, connection warm.
    for distinct_id, props in inputs(USERS, first=n):
        track(distinct_id, props)
    return burst(inputs(n), track, lambda: None)


def raw_single(sink: str, n: int) -> Figures:
    """The baseline of batching off: each wire event POSTed alone on a kept-alive client."""
    with _httpx_client(sink) as client:
        sessions: dict[str, str] = {}

        def track(distinct_id: str, props: dict[str, Any]) -> None:
            session_id = sessions.get(distinct_id)
            if session_id is None:
                session_id = sessions[distinct_id] = new_session_id()
            event = wire_event(distinct_id, session_id, props)
            _post(client, "/api/events", json.dumps(event).encode())

        return _one_at_a_time(n, track)


def trodo_single(sink: str, n: int) -> Figures:
    """Trodo with batching off (the default): each event sent on the caller's thread."""
    import trodo

    client = trodo.TrodoClient(site_id=SITE_ID, api_base=sink)
    try:
        return _one_at_a_time(
            n, lambda distinct_id, props: client.track(distinct_id, EVENT_NAME, props)
        )
    finally:
        client.shutdown()


SCENARIOS: dict[str, Callable[[str, int], Figures]] = {
    "floor": floor,
    "floor_orjson": floor_orjson,
    "trodo_batch": trodo_batch,
    "posthog": posthog_batch,
    "segment": segment_batch,
    "raw_single": raw_single,
    "trodo_single": trodo_single,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--sink", required=True, help="the sink's base URL")
    parser.add_argument("--n", type=int, required=True, help="events to send")
    args = parser.parse_args(argv)
    try:
        figures = SCENARIOS[args.scenario](args.sink, args.n)
    except SubjectMissingError as reason:
        print(json.dumps({"unavailable": str(reason)}))
        sys.exit(UNAVAILABLE)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
