"""Flask: the request's user on every event, and errors of views reported.

::

    from flask import Flask
    import trodo
    from trodo.integrations.flask import init_app

    app = Flask(__name__)
    init_app(app, batch_enabled=True)  # TRODO_SITE_ID from the environment


    @app.post("/checkout")
    def checkout():
        trodo.current_user().track("checkout_completed", {"amount": 49.5})
        return "", 204

Flask has no signed-in user of its own: pass ``get_distinct_id`` for yours
(with Flask-Login, ``lambda request: current_user.get_id()``); otherwise the
user is the front end's ``X-Trodo-Distinct-Id`` header, on the session of its
``X-Trodo-Session-Id`` header. An exception that escapes a view is sent as a
``server_error`` with the URL rule (``/orders/<int:order_id>``), the method
and the status 500, then Flask answers as it always does. ``abort(404)``,
redirects and any ``HTTPException`` below 500 are not reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

try:
    import flask
except ImportError as error:
    raise ImportError("trodo.integrations.flask needs Flask: pip install 'trodo[flask]'") from error

from flask import got_request_exception

from trodo import _current
from trodo.integrations._clients import default_client
from trodo.integrations._request import (
    RequestSettings,
    WebOptions,
    is_control_flow,
    pick_ids,
    report_error,
    request_properties,
    split_options,
)

if TYPE_CHECKING:
    from trodo import TrodoClient
    from trodo._current import Client

__all__ = ["init_app"]

_EXTENSION = "trodo"


class _FlaskTrodo:
    """What init_app keeps on ``app.extensions["trodo"]``."""

    def __init__(self, settings: RequestSettings, client: Client) -> None:
        self.settings = settings
        self.client = client


def init_app(
    app: flask.Flask, *, client: TrodoClient | None = None, **options: Unpack[WebOptions]
) -> TrodoClient:
    """Bind each request's user (:func:`trodo.current_user`) and report view errors.

    ``options`` are the integration's (``get_distinct_id``,
    ``distinct_id_header``, ``session_id_header``, ``session_id_cookie``,
    ``capture_errors``, ``error_properties``) and, when no ``client`` is
    given, the client's (:class:`trodo.ClientOptions`), made as the default
    client. Returns the client the app uses.
    """
    settings, client_options = split_options(options)
    if client is None:
        client = default_client(client_options)
    elif client_options:
        raise TypeError(
            f"client options ({', '.join(sorted(client_options))}) given with a client: "
            "pass them to the client instead"
        )
    app.extensions[_EXTENSION] = _FlaskTrodo(settings, client)
    app.before_request(_bind)
    app.teardown_request(_unbind)
    got_request_exception.connect(_on_exception, app)
    return client


def _bind() -> None:
    state: _FlaskTrodo = flask.current_app.extensions[_EXTENSION]
    request = flask.request
    distinct_id, session_id = pick_ids(
        state.settings, request, lambda: None, request.headers.get, request.cookies.get
    )
    flask.g._trodo_token = _current.bind(state.client, distinct_id, session_id)


def _unbind(_error: BaseException | None = None) -> None:
    token = flask.g.pop("_trodo_token", None)
    if token is not None:
        _current.unbind(token)


def _on_exception(sender: flask.Flask, exception: BaseException, **_: Any) -> None:
    """Flask's signal for an exception it is about to answer 500 to."""
    state: _FlaskTrodo | None = sender.extensions.get(_EXTENSION)
    if state is None or not state.settings.capture_errors or is_control_flow(exception):
        return
    request = flask.request
    rule = request.url_rule
    route = rule.rule if rule is not None else None
    properties = request_properties(state.settings, request, route, request.method, 500)
    report_error(state.client, _current.binding(), exception, properties)
