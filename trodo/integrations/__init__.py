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
"""
