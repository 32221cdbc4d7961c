"""A Flask app: `python app.py` (its dev server) or `gunicorn app:app` (any worker class).

The client is made at import, as the README shows, with nothing added for shutdown.
Events are queued for a minute, so only the SDK's shutdown handling can deliver them.
"""

import os

from flask import Flask, request

import trodo

options = {}
if os.environ.get("TRODO_HANDLE_SIGTERM") == "0":
    options["handle_sigterm"] = False


def print_lost(error: trodo.DeliveryError) -> None:
    print(f"LOST {error.reason} {error.count}", flush=True)


trodo.init(
    batch_enabled=True, batch_size=10_000, batch_flush_interval=60, on_error=print_lost, **options
)
app = Flask(__name__)


@app.get("/hit")
def hit() -> str:
    trodo.track("user_42", "hit", {"i": int(request.args["i"]), "pid": os.getpid()})
    return "ok"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]))
