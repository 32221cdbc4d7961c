"""A plain script (`python app.py`): tracks N events, says READY, then waits to be stopped.

TRODO_APP_VARIANT:
- "plain": nothing else;
- "own_handler_first": the script installs its own SIGTERM handler (which exits 3)
  before the client exists;
- "own_handler_after": the same handler installed after the client exists;
- "graceful_then_forced": a handler, installed first, that only notes the first
  SIGTERM (a graceful stop begins) and exits 4 at the second (a forced stop).
TRODO_EVENTS: how many events (default 1000).
"""

import os
import signal
import sys
import time

import trodo

VARIANT = os.environ.get("TRODO_APP_VARIANT", "plain")
options = {}
if os.environ.get("TRODO_HANDLE_SIGTERM") == "0":
    options["handle_sigterm"] = False
if "TRODO_SHUTDOWN_TIMEOUT" in os.environ:
    options["shutdown_timeout"] = float(os.environ["TRODO_SHUTDOWN_TIMEOUT"])


def print_lost(error: trodo.DeliveryError) -> None:
    print(f"LOST {error.reason} {error.count}", flush=True)


def own_handler(signum, frame):
    print("OWN HANDLER", flush=True)
    sys.exit(3)


seen = []


def graceful_then_forced(signum, frame):
    seen.append(signum)
    print(f"OWN HANDLER {len(seen)}", flush=True)
    if len(seen) == 2:
        sys.exit(4)


if VARIANT == "own_handler_first":
    signal.signal(signal.SIGTERM, own_handler)
elif VARIANT == "graceful_then_forced":
    signal.signal(signal.SIGTERM, graceful_then_forced)
client = trodo.TrodoClient(
    batch_enabled=True, batch_size=10_000, batch_flush_interval=60, on_error=print_lost, **options
)
if VARIANT == "own_handler_after":
    signal.signal(signal.SIGTERM, own_handler)

for i in range(int(os.environ.get("TRODO_EVENTS", "1000"))):
    client.track("user_42", "hit", {"i": i})
print("READY", flush=True)
time.sleep(600)
