"""A script under gevent or eventlet (`python app.py`): 16 green threads track
concurrently, then the script flushes and shuts down.

TRODO_GREEN: "gevent" or "eventlet". TRODO_APP_VARIANT: "patch_first" (monkey
patching before the client exists), "client_first" (the client exists before
patching, unused, as with `gunicorn -k gevent --preload`) or "used_first" (the
client has already sent once before patching). Prints
"DELIVERED <all delivered?>" at the end; a hang is caught by the test's timeout.
TRODO_DIRECT=1: batching off, and every green thread tracks for one user whose
context (and session) was made before patching: they all need its registration.
"""

import os
import sys

GREEN = os.environ["TRODO_GREEN"]
VARIANT = os.environ["TRODO_APP_VARIANT"]


if GREEN == "eventlet":
    # httpcore imports trio when it is installed (here: selenium's dependency), and
    # trio fails to import under eventlet's patched socket (no sendmsg): an app with
    # both must import the HTTP stack before patching. The README says so.
    import httpcore  # noqa: F401


def patch() -> None:
    if GREEN == "gevent":
        from gevent import monkey

        monkey.patch_all()
    else:
        import eventlet

        eventlet.monkey_patch()


if VARIANT == "patch_first":
    patch()

import trodo  # noqa: E402

DIRECT = os.environ.get("TRODO_DIRECT") == "1"
client = trodo.TrodoClient(batch_enabled=not DIRECT, batch_size=5, batch_flush_interval=60)
if DIRECT:
    client.for_user("shared")
if VARIANT == "client_first":
    patch()
elif VARIANT == "used_first":
    client.track("user_0", "before_patch", {"i": -1})
    assert client.flush(30), "the first flush, before patching, failed"
    patch()


def work(n: int) -> None:
    for j in range(10):
        client.track("shared" if DIRECT else f"user_{n}", "hit", {"i": n * 10 + j})
    client.flush(30)


if GREEN == "gevent":
    import gevent

    gevent.joinall([gevent.spawn(work, n) for n in range(16)], raise_error=True)
else:
    import eventlet

    pool = eventlet.GreenPool()
    for n in range(16):
        pool.spawn(work, n)
    pool.waitall()

delivered = client.flush(30) and not client.stats().dropped
client.shutdown()
print(f"DELIVERED {delivered}", client.stats(), flush=True)
sys.exit(0 if delivered else 1)
