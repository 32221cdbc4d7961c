"""A Celery app for `celery -A tasks worker -P prefork`, on kombu's filesystem broker.

TRODO_APP_VARIANT chooses where the client is made:
- "import": trodo.init at import (the pool processes inherit it through the fork);
- "process_init": in a worker_process_init handler, in each pool process.
There is no worker_process_shutdown handler: the SDK delivers on its own. Each task
tracks one `hit` event and then leaves a file in done/, so the test knows it ran.
"""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_process_init

import trodo

HERE = Path(__file__).resolve().parent
BROKER = HERE / "broker"
DONE = HERE / "done"
for folder in (BROKER, DONE):
    folder.mkdir(exist_ok=True)
VARIANT = os.environ["TRODO_APP_VARIANT"]

app = Celery("tasks", broker="filesystem://")
app.conf.update(
    broker_transport_options={
        "data_folder_in": str(BROKER),
        "data_folder_out": str(BROKER),
        "control_folder": str(HERE / "control"),
        "polling_interval": 0.1,
    },
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


def print_lost(error: trodo.DeliveryError) -> None:
    print(f"LOST {error.reason} {error.count}", flush=True)


def start_trodo() -> None:
    trodo.init(batch_enabled=True, batch_size=10_000, batch_flush_interval=60, on_error=print_lost)


if VARIANT == "import":
    start_trodo()
else:

    @worker_process_init.connect
    def start_in_each_process(**_: object) -> None:
        start_trodo()


@app.task(name="tasks.hit")
def hit(i: int) -> None:
    trodo.track("user_42", "hit", {"i": i, "pid": os.getpid()})
    (DONE / str(i)).touch()
