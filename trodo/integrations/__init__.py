"""Framework integrations: the request's user and browser session on every server event.

Each module imports its framework only when it is used, and the frameworks
are optional extras (``pip install 'trodo[django]'``, ``[flask]``, ``[asgi]``,
``[celery]``), never dependencies of trodo itself:

- ``trodo.integrations.django.TrodoMiddleware``: add it to ``MIDDLEWARE``.
- ``trodo.integrations.flask.init_app(app, **options)``.
- ``trodo.integrations.asgi.TrodoMiddleware``: ``app.add_middleware(...)`` in
  FastAPI, Starlette or any ASGI app.
- ``trodo.integrations.celery.setup(celery_app, **options)``: a client per
  worker process, the enqueuing request's user inside the task, failed tasks
  reported.
- ``trodo.integrations.logging.TrodoHandler``: logged exceptions as ``server_error``.
- ``trodo.integrations.serverless.flush_after``: deliver before a function returns.

For each request (or task) the integrations bind a user, which
:func:`trodo.current_user` returns: the distinct id from the app's
``get_distinct_id(request)``, else the framework's signed-in user, else the
front end's ``X-Trodo-Distinct-Id`` header; the session id from the
``X-Trodo-Session-Id`` header (or a cookie you name). An exception that
escapes a view or a task is sent as a ``server_error`` with the route
template, the method and the status, never headers, cookies, query strings
or bodies, and then propagates as it would without trodo.

For a framework without an integration (or a script acting for a user),
:func:`bind_user` binds a user for a block, as the middleware does for a
request::

    with trodo.integrations.bind_user("user_42", session_id=browser_session_id):
        handle(message)  # trodo.current_user() is user_42; Celery tasks sent here carry it
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from trodo import _current

if TYPE_CHECKING:
    from trodo._current import Client

__all__ = ["bind_user"]


@contextmanager
def bind_user(
    distinct_id: str | None,
    session_id: str | None = None,
    *,
    client: Client | None = None,
) -> Iterator[None]:
    """Make ``distinct_id`` (on the browser's ``session_id``) the current user for the block.

    ``client`` defaults to the default client (``trodo.init()``); pass an
    :class:`trodo.AsyncTrodoClient` to use :func:`trodo.current_async_user`.
    ``distinct_id=None`` binds an anonymous request: errors are still reported,
    under the client's ``auto_events_distinct_id``. Ids are checked as
    everywhere: a non-str or empty id raises here.
    """
    _current.check_ids(distinct_id, session_id)
    if client is None:
        import trodo

        client = trodo.get_client()
    token = _current.bind(client, distinct_id, session_id)
    try:
        yield
    finally:
        _current.unbind(token)
