"""A FastAPI app for `uvicorn app:app`, with no shutdown code of its own.

TRODO_APP_VARIANT chooses where the client is made:
- "import": a TrodoClient at import, `def` endpoints;
- "lifespan": a TrodoClient made in the lifespan's startup (nothing after its yield);
- "async": an AsyncTrodoClient at module level, `async def` endpoints.
Events are queued for a minute, so only the SDK's shutdown handling can deliver them.
"""

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI

import trodo

VARIANT = os.environ["TRODO_APP_VARIANT"]
OPTIONS = {
    "batch_enabled": True,
    "batch_size": 10_000,
    "batch_flush_interval": float(os.environ.get("TRODO_FLUSH_INTERVAL", "60")),
}
if os.environ.get("TRODO_HANDLE_SIGTERM") == "0":
    OPTIONS["handle_sigterm"] = False


def print_lost(error: trodo.DeliveryError) -> None:
    print(f"LOST {error.reason} {error.count}", flush=True)


clients = {}
if VARIANT == "import":
    clients["sync"] = trodo.TrodoClient(on_error=print_lost, **OPTIONS)
elif VARIANT == "async":
    clients["async"] = trodo.AsyncTrodoClient(on_error=print_lost, **OPTIONS)


@asynccontextmanager
async def lifespan(app: FastAPI):
    if VARIANT == "lifespan":
        clients["sync"] = trodo.TrodoClient(on_error=print_lost, **OPTIONS)
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/hit")
def hit(i: int) -> str:
    clients["sync"].track("user_42", "hit", {"i": i})
    return "ok"


@app.get("/ahit")
async def ahit(i: int) -> str:
    await clients["async"].track("user_42", "hit", {"i": i})
    return "ok"
