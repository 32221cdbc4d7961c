"""A Flask app with trodo's integration.

Run it (against the local mock server: `trodo-mock-server --port 8787` in
another terminal):

    TRODO_SITE_ID=demo TRODO_API_BASE=http://127.0.0.1:8787 \
        flask --app examples/flask_app.py run

    curl -H 'X-Trodo-Distinct-Id: anon_7f3e' -H 'X-Trodo-Session-Id: b7d4c1e2' \
        localhost:5000/orders/7
    curl -X POST -H 'X-Trodo-Distinct-Id: anon_7f3e' localhost:5000/orders/7/pay
"""

from __future__ import annotations

from flask import Flask, request

import trodo
from trodo.integrations.flask import init_app

app = Flask(__name__)
# Client options; TRODO_SITE_ID (and TRODO_API_BASE) from the environment. Flask
# has no signed-in user of its own: get_distinct_id names yours (here a header
# your auth layer would set), before the front end's X-Trodo-Distinct-Id.
init_app(
    app,
    batch_enabled=True,
    get_distinct_id=lambda req: req.headers.get("X-Authenticated-User"),
)


class PaymentError(Exception):
    pass


@app.get("/orders/<int:order_id>")
def order(order_id: int) -> dict[str, int]:
    user = trodo.current_user()  # None for an anonymous request
    if user is not None:
        user.track("order_viewed", {"order_id": order_id, "via": request.method})
    return {"order_id": order_id}


@app.post("/orders/<int:order_id>/pay")
def pay(order_id: int) -> dict[str, int]:
    # Escapes the view: sent as a server_error with route /orders/<int:order_id>/pay,
    # then Flask answers 500 as usual.
    raise PaymentError(f"card declined for order {order_id}")
