"""A Celery app with trodo's integration: the enqueuing request's user inside the task.

Run a worker (against the local mock server: `trodo-mock-server --port 8787`
in another terminal; the broker is a folder, so no server is needed):

    TRODO_SITE_ID=demo TRODO_API_BASE=http://127.0.0.1:8787 \
        celery --workdir examples -A celery_app worker --loglevel=INFO

and enqueue from any process that imports this module, inside a request
handled by one of trodo's web integrations (or a `bind_user` block):

    with trodo.integrations.bind_user("anon_7f3e", session_id="b7d4c1e2"):
        send_receipt.delay(7)  # the task runs as anon_7f3e, on session b7d4c1e2
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from celery import Celery

import trodo
from trodo.integrations.celery import setup

# kombu's filesystem transport: messages are files in this folder.
FOLDER = Path(os.environ.get("CELERY_EXAMPLE_DIR", Path(tempfile.gettempdir()) / "trodo-celery"))
(FOLDER / "queue").mkdir(parents=True, exist_ok=True)

app = Celery("shop", broker=os.environ.get("CELERY_BROKER_URL", "filesystem://"))
app.conf.update(
    broker_transport_options={
        "data_folder_in": str(FOLDER / "queue"),
        "data_folder_out": str(FOLDER / "queue"),
    },
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
)
# Each worker process makes its client (TRODO_SITE_ID from the environment) and
# delivers what it queued when it stops.
setup(app, batch_enabled=True)


class PaymentError(Exception):
    pass


@app.task
def send_receipt(order_id: int) -> None:
    user = trodo.current_user()  # the user of the request that enqueued the task
    if user is not None:
        user.track("receipt_sent", {"order_id": order_id})


@app.task
def charge(order_id: int) -> None:
    # A failed task: sent as a server_error with the task's name, on its user.
    raise PaymentError(f"card declined for order {order_id}")
