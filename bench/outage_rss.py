"""Memory under a permanent outage: ``python -m bench.outage_rss [--max-queue-bytes N]``.

A batching client whose server never answers (connections refused: the fastest
failure, so the queue fills as fast as the caller can track) is given events of
distinct users, each with its own 8 KB session id (a browser header is
caller-controlled), until its queue has been full for a while. Prints the resident
set's growth as a multiple of ``max_queue_bytes``: the figure the README quotes.
The queue's byte bound counts every byte an event takes on the wire; the rest of
the multiple is Python's own overhead (objects, dicts, the record).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import socket
import threading

import trodo

SESSION_ID_BYTES = 8 * 1024


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def refusing_url() -> str:
    """A loopback port nothing listens on: every connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-queue-bytes", type=int, default=64 * 1024 * 1024)
    args = parser.parse_args()
    full = threading.Event()
    dropped = [0]

    def on_error(error: trodo.DeliveryError) -> None:
        if error.reason == "queue_full":
            dropped[0] += error.count
            full.set()

    client = trodo.TrodoClient(
        "bench",
        api_base=refusing_url(),
        batch_enabled=True,
        max_queue_bytes=args.max_queue_bytes,
        max_cached_users=1_000,
        on_error=on_error,
        timeout=2.0,
    )
    client.track("warm-up", "start")  # the HTTP stack loaded before the baseline
    gc.collect()
    before = rss_bytes()
    tracked = 0
    # Track until the queue has refused as many events as it holds: the bound holds.
    while not full.is_set() or dropped[0] < tracked // 2:
        sid = f"{tracked:08d}".ljust(SESSION_ID_BYTES, "s")
        client.for_user(f"user-{tracked}", session_id=sid).track(
            "purchase", {"plan": "pro", "amount": 12.5, "i": tracked}
        )
        tracked += 1
        if tracked % 1000 == 0:
            client.flush(0)  # report the episode's count so far
    gc.collect()
    grown = rss_bytes() - before
    stats = client.stats()
    client.shutdown(0)
    print(
        json.dumps(
            {
                "max_queue_bytes": args.max_queue_bytes,
                "tracked": tracked,
                "held": stats.queued + stats.in_flight,
                "rss_growth_bytes": grown,
                "rss_multiple_of_max_queue_bytes": round(grown / args.max_queue_bytes, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
