"""A Celery app for the integration test: a filesystem broker in TRODO_TEST_CELERY_DIR.

The test process imports it to enqueue; a real worker subprocess imports it to run.
"""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery

import trodo
from trodo.integrations.celery import setup

FOLDER = Path(os.environ.get("TRODO_TEST_CELERY_DIR", "/nonexistent"))

app = Celery("trodo_celery_tests", broker="filesystem://")
app.conf.update(
    broker_transport_options={
        "data_folder_in": str(FOLDER / "queue"),
        "data_folder_out": str(FOLDER / "queue"),
    },
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
)
# Batched with a long interval: what the tasks send leaves at process shutdown.
setup(app, batch_enabled=True, batch_flush_interval=300.0)


class CardDeclinedError(Exception):
    pass


def _done(line: str) -> None:
    with (FOLDER / "done.txt").open("a") as out:
        out.write(line + "\n")


@app.task
def send_receipt(order_id: int) -> None:
    user = trodo.current_user()
    if user is not None:
        user.track("receipt_sent", {"order": order_id})
    _done(f"send_receipt {user.get_current_distinct_id() if user else None}")


@app.task
def charge(order_id: int) -> None:
    _done("charge")
    raise CardDeclinedError(f"order {order_id} declined")
