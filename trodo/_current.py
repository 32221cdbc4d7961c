"""The user of the request or task being handled, bound by the framework integrations.

One ``ContextVar`` holds it: threads, asyncio tasks and the worker threads that
run sync views (asgiref, anyio) each see the binding of their own request,
because they copy the context they were started from.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from trodo._core.validation import require_str

if TYPE_CHECKING:
    # Types only: `import trodo` never imports the async twin.
    from trodo._async.context import AsyncUserContext  # noqa: TID251
    from trodo._core.client_base import ClientBase
    from trodo._sync.context import UserContext

    Client: TypeAlias = ClientBase[Any]
    """Either client, TrodoClient or AsyncTrodoClient (for the integrations' types)."""


@dataclass(frozen=True, slots=True)
class Binding:
    """What an integration bound for one request or task: its client and the user's ids.

    ``distinct_id`` is None for an anonymous request; the client is still
    bound, so errors of that request are reported (under the client's
    ``auto_events_distinct_id``).
    """

    client: ClientBase[Any]
    distinct_id: str | None
    session_id: str | None


_binding: ContextVar[Binding | None] = ContextVar("trodo_current_user", default=None)


def bind(client: ClientBase[Any], distinct_id: str | None, session_id: str | None) -> Token[Any]:
    """Bind the request's user; give the token back to :func:`unbind` when it ends."""
    return _binding.set(Binding(client, distinct_id, session_id if distinct_id else None))


def check_ids(distinct_id: str | None, session_id: str | None) -> None:
    """Ids an app binds itself are checked as everywhere: a non-str or empty one raises."""
    if distinct_id is not None:
        require_str(distinct_id, "distinct_id")
    if session_id is not None:
        require_str(session_id, "session_id")


def unbind(token: Token[Any]) -> None:
    """End a binding made by :func:`bind`."""
    try:
        _binding.reset(token)
    except ValueError:
        # The request ended in another context than it began in (a framework that
        # runs its teardown elsewhere): forget the binding there all the same.
        _binding.set(None)


def binding() -> Binding | None:
    """The binding of the request or task being handled, None outside one."""
    return _binding.get()


def current_user() -> UserContext | None:
    """The user of the request (or Celery task) being handled, or None.

    The integrations (``trodo.integrations.django``, ``.flask``, ``.asgi``,
    ``.celery``) bind it for each request or task: the signed-in user, or the
    front end's ``X-Trodo-Distinct-Id`` header, on the browser's
    ``X-Trodo-Session-Id`` session. It is None outside a request, and for an
    anonymous one::

        user = trodo.current_user()
        if user is not None:
            user.track("checkout_completed", {"amount": 49.5})

    Where the integration runs an :class:`AsyncTrodoClient`, use
    :func:`current_async_user` (this raises ``TypeError`` there, saying so).
    """
    bound = _binding.get()
    if bound is None or bound.distinct_id is None:
        return None
    from trodo._sync.client import TrodoClient

    client = bound.client
    if not isinstance(client, TrodoClient):
        raise TypeError(
            "this request is bound to an AsyncTrodoClient: use trodo.current_async_user()"
        )
    return client.for_user(bound.distinct_id, bound.session_id)


def current_async_user() -> AsyncUserContext | None:
    """:func:`current_user` for an integration that runs an :class:`AsyncTrodoClient`::

    user = trodo.current_async_user()
    if user is not None:
        await user.track("checkout_completed", {"amount": 49.5})
    """
    bound = _binding.get()
    if bound is None or bound.distinct_id is None:
        return None
    from trodo._sync.client import TrodoClient

    client = bound.client
    if isinstance(client, TrodoClient):
        raise TypeError("this request is bound to a TrodoClient: use trodo.current_user()")
    return cast("AsyncUserContext", client.for_user(bound.distinct_id, bound.session_id))
