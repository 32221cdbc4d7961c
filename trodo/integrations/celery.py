"""Celery: a client per worker process, the enqueuing request's user inside the task.

Where the Celery app is defined (imported by the web processes and the workers)::

    from celery import Celery
    from trodo.integrations.celery import setup

    app = Celery("shop", broker=...)
    setup(app, batch_enabled=True)  # TRODO_SITE_ID from the environment


    @app.task
    def send_receipt(order_id: int) -> None:
        user = trodo.current_user()  # the user of the request that enqueued the task
        if user is not None:
            user.track("receipt_sent", {"order_id": order_id})

- Enqueuing: a task sent while a request's user is bound (the Django, Flask
  or ASGI integration) carries that user's distinct id and session id in its
  message headers (``trodo_distinct_id``, ``trodo_session_id``); nothing else
  of the request travels.
- In the worker: each worker process makes its client when it starts
  (``worker_process_init``; the first task, with the solo or threads pool),
  as the process's default client, binds the task's user for the task's run,
  and shuts the client down when the process stops (``worker_process_shutdown``,
  ``worker_shutdown``), delivering what it queued within ``shutdown_timeout``.
  Shutting down is idempotent: the SDK's own exit handling finds nothing
  left to send.
- A task that raises is sent as a ``server_error`` (``task_failure``) with the
  task's name and id, on the task's user or the client's
  ``auto_events_distinct_id``. Retries are not failures.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Final, Unpack

try:
    import celery  # noqa: F401
except ImportError as error:
    raise ImportError(
        "trodo.integrations.celery needs Celery: pip install 'trodo[celery]'"
    ) from error

from celery import Celery, Task, signals

from trodo import ClientOptions, _current
from trodo.integrations._clients import default_client
from trodo.integrations._request import clean_id, logger, report_error

if TYPE_CHECKING:
    from trodo._current import Client

__all__ = ["DISTINCT_ID_HEADER", "SESSION_ID_HEADER", "setup"]

DISTINCT_ID_HEADER: Final = "trodo_distinct_id"
SESSION_ID_HEADER: Final = "trodo_session_id"
_TOKEN: Final = "_trodo_token"


class _Worker:
    """The integration's state in one process: its options and, in a worker, its client."""

    def __init__(self, client: Client | None, options: ClientOptions, capture_errors: bool) -> None:
        self._given = client
        self._options = options
        self.capture_errors = capture_errors
        self._client: Client | None = None
        self._lock = threading.Lock()

    def client(self) -> Client:
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = self._given or default_client(self._options)
                    self._client = client
        return client

    def shutdown(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            try:
                client.shutdown()  # type: ignore[attr-defined]
            except Exception:
                logger.warning("shutting the worker's trodo client down failed", exc_info=True)


# The setup of this process (a list so that setup() rebinds no global).
_setup: list[_Worker] = []


def _current_worker() -> _Worker | None:
    return _setup[0] if _setup else None


def setup(
    celery_app: Celery,
    *,
    client: Client | None = None,
    capture_errors: bool = True,
    **options: Unpack[ClientOptions],
) -> None:
    """Connect trodo to ``celery_app``'s tasks; call it where the Celery app is defined.

    ``options`` are client options for the client each worker process makes
    (as the default client); or pass a ``client`` of your own. Calling it
    again replaces the previous setup.
    """
    if client is not None and options:
        raise TypeError("client options given with a client: pass them to the client instead")
    if not isinstance(celery_app, Celery):
        raise TypeError(f"setup() takes the Celery app, got {type(celery_app).__name__}")
    _setup[:] = [_Worker(client, options, capture_errors)]
    # Strong references and fixed ids: connecting twice replaces, never doubles.
    signals.before_task_publish.connect(_on_publish, weak=False, dispatch_uid="trodo")
    signals.worker_process_init.connect(_on_process_init, weak=False, dispatch_uid="trodo")
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="trodo")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="trodo")
    signals.task_failure.connect(_on_failure, weak=False, dispatch_uid="trodo")
    signals.worker_process_shutdown.connect(_on_shutdown, weak=False, dispatch_uid="trodo")
    signals.worker_shutdown.connect(_on_shutdown, weak=False, dispatch_uid="trodo")


def _on_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    bound = _current.binding()
    if headers is None or bound is None or bound.distinct_id is None:
        return
    headers.setdefault(DISTINCT_ID_HEADER, bound.distinct_id)
    if bound.session_id is not None:
        headers.setdefault(SESSION_ID_HEADER, bound.session_id)


def _on_process_init(**_: Any) -> None:
    worker = _current_worker()
    if worker is not None:
        worker.client()


def _on_prerun(task: Task | None = None, **_: Any) -> None:
    worker = _current_worker()
    if worker is None or task is None:
        return
    request = task.request
    if request.is_eager:
        return  # runs inside the caller, whose binding stays
    try:
        distinct_id = clean_id(_header(request, DISTINCT_ID_HEADER))
        session_id = clean_id(_header(request, SESSION_ID_HEADER)) if distinct_id else None
        token = _current.bind(worker.client(), distinct_id, session_id)
    except Exception:
        logger.warning("binding the task's trodo user failed", exc_info=True)
        return
    setattr(request, _TOKEN, token)


def _on_postrun(task: Task | None = None, **_: Any) -> None:
    if task is None:
        return
    token = getattr(task.request, _TOKEN, None)
    if token is not None:
        delattr(task.request, _TOKEN)
        _current.unbind(token)


def _on_failure(
    sender: Task | None = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    **_: Any,
) -> None:
    worker = _current_worker()
    if worker is None or not worker.capture_errors or exception is None:
        return
    bound = _current.binding()
    client = bound.client if bound is not None else worker.client()
    properties: dict[str, Any] = {"task": getattr(sender, "name", None) or "unknown"}
    if task_id:
        properties["task_id"] = task_id
    report_error(client, bound, exception, properties)


def _on_shutdown(**_: Any) -> None:
    worker = _current_worker()
    if worker is not None:
        worker.shutdown()


def _header(request: Any, name: str) -> object:
    # Protocol 2 puts custom headers on the request; older paths keep them in .headers.
    value = getattr(request, name, None)
    if value is None:
        value = (getattr(request, "headers", None) or {}).get(name)
    return value
