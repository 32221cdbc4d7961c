"""A FastAPI app with trodo's ASGI middleware and an AsyncTrodoClient.

Run it (against the local mock server: `trodo-mock-server --port 8787` in
another terminal; `pip install uvicorn`):

    TRODO_SITE_ID=demo TRODO_API_BASE=http://127.0.0.1:8787 \
        uvicorn --app-dir examples fastapi_app:app

    curl -H 'X-Trodo-Distinct-Id: anon_7f3e' -H 'X-Trodo-Session-Id: b7d4c1e2' \
        localhost:8000/orders/7
    curl -X POST -H 'X-Trodo-Distinct-Id: anon_7f3e' localhost:8000/orders/7/pay
"""

from __future__ import annotations

from fastapi import FastAPI

import trodo
from trodo.integrations.asgi import TrodoMiddleware

app = FastAPI()
# The middleware makes an AsyncTrodoClient on the server's loop at startup and
# shuts it down (delivering what is queued) at shutdown. TRODO_SITE_ID (and
# TRODO_API_BASE) from the environment.
app.add_middleware(TrodoMiddleware, batch_enabled=True)


class PaymentError(Exception):
    pass


@app.get("/orders/{order_id}")
async def order(order_id: int) -> dict[str, int]:
    user = trodo.current_async_user()  # None for an anonymous request
    if user is not None:
        await user.track("order_viewed", {"order_id": order_id})  # only queues
    return {"order_id": order_id}


@app.post("/orders/{order_id}/pay")
async def pay(order_id: int) -> None:
    # Escapes the endpoint: sent as a server_error with route /orders/{order_id}/pay,
    # then re-raised, and the server answers 500 as usual.
    raise PaymentError(f"card declined for order {order_id}")
