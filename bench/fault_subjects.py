"""One SDK against the flaky sink, in a fresh process: ``python bench/fault_subjects.py
SUBJECT --sink URL --n N --users U --batch B --timeout T``.

Run as a script by path, never as ``-m bench...``: the vendor's SDK (trodo-python)
shares the import name ``trodo`` with this project, so its subject runs in its own
virtualenv, where the project root must not be on ``sys.path``. This file therefore
imports nothing from the project: only the standard library and the SDK it measures.

Prints one JSON object: the slowest ``track()`` call, the time from the first
``track()`` until the SDK's shutdown returned, and how many events the SDK itself said
it gave up (``null`` when it has no way to say). A subject that is not installed exits
with status 3 and ``{"unavailable": reason}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

UNAVAILABLE = 3
EVENT_NAME = "purchase"
PLANS = ("free", "pro", "team", "enterprise")


def properties(i: int) -> dict[str, Any]:
    """The bench's six small properties; ``i`` is the event's unique id."""
    return {
        "plan": PLANS[i % 4],
        "amount": (i % 97) + 0.99,
        "currency": "EUR",
        "items": i % 7 + 1,
        "trial": i % 3 == 0,
        "i": i,
    }


class SubjectMissingError(Exception):
    """The subject is not installed in this interpreter."""


class GivenUp:
    """Counts the events an SDK reports as given up, from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    def add(self, n: int) -> None:
        with self.lock:
            self.count += n


Subject = tuple[Callable[[str, dict[str, Any]], object], Callable[[], object], GivenUp | None]


def trodo_subject(sink: str, batch: int, timeout: float) -> Subject:
    """This project's SDK, batch mode; flush() then shutdown()."""
    import trodo

    given_up = GivenUp()
    client = trodo.TrodoClient(
        "bench",
        api_base=sink,
        batch_enabled=True,
        batch_size=batch,
        timeout=timeout,
        on_error=lambda error: given_up.add(error.count),
    )

    def stop() -> None:
        client.flush(None)
        client.shutdown()

    return (lambda uid, props: client.track(uid, EVENT_NAME, props)), stop, given_up


def vendor_subject(sink: str, batch: int, timeout: float) -> Subject:
    """The vendor's trodo-python 2.x (its own virtualenv), batch mode; flush, shutdown."""
    import trodo

    if not hasattr(trodo, "wrap_agent"):
        raise SubjectMissingError("this interpreter's trodo is not the vendor's trodo-python")
    client = trodo.TrodoClient(
        "bench",
        api_base=sink,
        batch_enabled=True,
        batch_size=batch,
        timeout=int(timeout),
        auto_instrument=False,
    )

    def stop() -> None:
        client.flush()
        client.shutdown()

    return (lambda uid, props: client.track(uid, EVENT_NAME, props)), stop, None


def posthog_subject(sink: str, batch: int, timeout: float) -> Subject:
    """posthog's background batching; flush() then shutdown()."""
    try:
        from posthog import Posthog
    except ImportError as error:
        raise SubjectMissingError(f"posthog: {error}") from error
    given_up = GivenUp()
    client = Posthog(
        "bench",
        host=sink,
        flush_at=batch,
        timeout=timeout,
        on_error=lambda _error, items: given_up.add(len(items)),
    )

    def track(uid: str, props: dict[str, Any]) -> None:
        client.capture(EVENT_NAME, distinct_id=uid, properties=props)

    def stop() -> None:
        client.flush()
        client.shutdown()

    return track, stop, given_up


def segment_subject(sink: str, batch: int, timeout: float) -> Subject:
    """segment-analytics-python's background batching; flush() then shutdown()."""
    try:
        from segment.analytics import Client
    except ImportError as error:
        raise SubjectMissingError(f"segment-analytics-python: {error}") from error
    given_up = GivenUp()
    client = Client(
        write_key="bench",
        host=sink,
        upload_size=batch,
        timeout=timeout,
        on_error=lambda _error, items: given_up.add(len(items)),
    )

    def track(uid: str, props: dict[str, Any]) -> None:
        client.track(user_id=uid, event=EVENT_NAME, properties=props)

    def stop() -> None:
        client.flush()
        client.shutdown()

    return track, stop, given_up


SUBJECTS: dict[str, Callable[[str, int, float], Subject]] = {
    "trodo": trodo_subject,
    "vendor": vendor_subject,
    "posthog": posthog_subject,
    "segment": segment_subject,
}


def run(subject: Subject, n: int, users: int) -> dict[str, Any]:
    track, stop, given_up = subject
    inputs = [(f"user-{i % users}", properties(i)) for i in range(n)]
    slowest = 0.0
    start = time.perf_counter()
    for uid, props in inputs:
        before = time.perf_counter()
        track(uid, props)
        slowest = max(slowest, time.perf_counter() - before)
    stop()
    done = time.perf_counter()
    return {
        "slowest_track_ms": slowest * 1e3,
        "total_s": done - start,
        "given_up": None if given_up is None else given_up.count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("subject", choices=sorted(SUBJECTS))
    parser.add_argument("--sink", required=True)
    parser.add_argument("--n", type=int, default=3_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    try:
        subject = SUBJECTS[args.subject](args.sink, args.batch, args.timeout)
    except (SubjectMissingError, ImportError) as reason:
        print(json.dumps({"unavailable": str(reason)}))
        sys.exit(UNAVAILABLE)
    print(json.dumps(run(subject, args.n, args.users)))


if __name__ == "__main__":
    main()
