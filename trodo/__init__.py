"""Trodo server-side analytics for Python.

Send what happens on your servers to Trodo, tied to the same user (and the
same browser session, when you have its id) as your front end::

    import trodo

    trodo.init(site_id="your-site-id")          # or set TRODO_SITE_ID
    trodo.track("user_42", "checkout_completed", {"amount": 49.5})

    user = trodo.for_user("user_42", session_id=browser_session_id)
    user.identify("db_user_1001")
    user.capture_error(exc)

    trodo.shutdown()                             # before a script exits

The module-level helpers use one default :class:`TrodoClient` made by
:func:`init`; create clients yourself for more than one site. Nothing here
raises because of the network or the server: failures go to ``on_error`` and
the ``trodo`` logger.

asyncio applications use :class:`AsyncTrodoClient`, the same API with
coroutines that never block the event loop::

    client = trodo.AsyncTrodoClient("your-site-id", batch_enabled=True)
    await client.for_user("user_42").track("checkout_completed", {"amount": 49.5})
    await client.shutdown()

In a web app or a worker, the integrations (``trodo.integrations.django``,
``.flask``, ``.asgi``, ``.celery``) bind each request's user, which
:func:`current_user` returns::

    user = trodo.current_user()  # None outside a request, or for an anonymous one
    if user is not None:
        user.track("checkout_completed")
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Unpack

from trodo._core.answers import DropReason
from trodo._core.config import ClientOptions
from trodo._core.errors import DeliveryError, LostEvent, LostWrite, Stats, TrodoWarning
from trodo._core.operations import IdentifyResult
from trodo._core.profiles import ClientWrites, GroupProfile, People, Users
from trodo._core.vendor_options import not_included
from trodo._core.write_results import UpsertResponse, UpsertResult, WriteResult, WriteStatus
from trodo._current import current_async_user, current_user
from trodo._sync.client import TrodoClient
from trodo._sync.context import UserContext
from trodo._version import __version__

if TYPE_CHECKING:
    from trodo._async.client import AsyncTrodoClient
    from trodo._async.context import AsyncUserContext

__all__ = [
    "AsyncTrodoClient",
    "AsyncUserContext",
    "ClientOptions",
    "DeliveryError",
    "DropReason",
    "GroupProfile",
    "IdentifyResult",
    "LostEvent",
    "LostWrite",
    "People",
    "Stats",
    "TrodoClient",
    "TrodoWarning",
    "UpsertResponse",
    "UpsertResult",
    "UserContext",
    "Users",
    "WriteResult",
    "WriteStatus",
    "__version__",
    "add_group",
    "capture_error",
    "current_async_user",
    "current_user",
    "disable_auto_events",
    "enable_auto_events",
    "flush",
    "for_user",
    "get_client",
    "get_group",
    "identify",
    "init",
    "people_append",
    "people_clear_charges",
    "people_delete_user",
    "people_increment",
    "people_remove",
    "people_set",
    "people_set_once",
    "people_track_charge",
    "people_union",
    "people_unset",
    "remove_group",
    "reset",
    "set_group",
    "shutdown",
    "track",
    "track_event",
    "upsert_user",
    "wallet_address",
]


if not TYPE_CHECKING:  # type checkers see the TYPE_CHECKING imports and flag misspellings
    # The async client loads on first use: asyncio would double `import trodo`'s time.
    def __getattr__(name: str) -> Any:
        if name == "AsyncTrodoClient":
            from trodo._async.client import AsyncTrodoClient

            return AsyncTrodoClient
        if name == "AsyncUserContext":
            from trodo._async.context import AsyncUserContext

            return AsyncUserContext
        # The vendor's LLM tracing, prompt and dataset functions say they are not here.
        raise not_included(__name__, name, f"module {__name__!r} has no attribute {name!r}")


# A library adds no handlers of its own; the application decides what is shown.
logging.getLogger("trodo").addHandler(logging.NullHandler())

_default: TrodoClient | None = None
_default_lock = threading.Lock()


def init(site_id: str | None = None, **options: Unpack[ClientOptions]) -> TrodoClient:
    """Create the default client used by the module-level helpers, and return it.

    Calling it again shuts the previous default client down (flushing it)
    and replaces it. ``site_id``, ``api_base`` and ``debug`` fall back to
    TRODO_SITE_ID, TRODO_API_BASE and TRODO_DEBUG::

        trodo.init(site_id="your-site-id", batch_enabled=True, on_error=report)
    """
    global _default
    client = TrodoClient(site_id, **options)
    with _default_lock:
        previous, _default = _default, client
    if previous is not None:
        previous.shutdown()
    return client


def get_client() -> TrodoClient:
    """The default client made by :func:`init`; RuntimeError before it."""
    client = _default
    if client is None:
        raise RuntimeError(
            "trodo is not initialised: call trodo.init(site_id=...) first "
            "(or set TRODO_SITE_ID and call trodo.init())"
        )
    return client


def for_user(distinct_id: str | int, session_id: str | None = None) -> UserContext:
    """The default client's context for one user; see :meth:`TrodoClient.for_user`."""
    return get_client().for_user(distinct_id, session_id)


def track(
    distinct_id: str | int,
    event_name: str,
    properties: Mapping[str, object] | None = None,
    category: str = "custom",
    *,
    timestamp: datetime | None = None,
) -> None:
    """Send a custom event for ``distinct_id``::

    trodo.track("user_42", "invoice_paid", {"amount": 120, "currency": "EUR"})
    """
    get_client().track(distinct_id, event_name, properties, category, timestamp=timestamp)


track_event = track


def identify(identify_id: str | int, session_id: str | None = None) -> UserContext:
    """Identify the user ``identify_id`` (optionally on the browser's session); see
    :meth:`TrodoClient.identify`."""
    return get_client().identify(identify_id, session_id)


def reset(distinct_id: str | int) -> bool:
    """Forget the user's server session; see :meth:`UserContext.reset`."""
    return get_client().reset(distinct_id)


def wallet_address(
    distinct_id: str | int, address: str | None = None, *, wallet_addr: str | None = None
) -> bool:
    """Associate a wallet address with the user; see :meth:`UserContext.wallet_address`."""
    return get_client().wallet_address(distinct_id, address, wallet_addr=wallet_addr)


def capture_error(
    distinct_id: str | int,
    error: BaseException,
    severity: str = "error",
    *,
    properties: Mapping[str, object] | None = None,
) -> None:
    """Send an exception as a ``server_error`` event; see :meth:`UserContext.capture_error`."""
    get_client().capture_error(distinct_id, error, severity, properties=properties)


def enable_auto_events() -> None:
    """Send uncaught exceptions as critical ``server_error`` events."""
    get_client().enable_auto_events()


def disable_auto_events() -> None:
    """Stop sending uncaught exceptions; the previous exception hooks are put back."""
    get_client().disable_auto_events()


def flush(timeout: float | None = None) -> bool:
    """Wait for the default client's queued events; see :meth:`TrodoClient.flush`."""
    return get_client().flush(timeout)


def shutdown(timeout: float | None = None) -> None:
    """Flush and stop the default client; see :meth:`TrodoClient.shutdown`."""
    get_client().shutdown(timeout)


# -- profiles, groups and upsert: the client's distinct-id-first methods, on the default client


class _DefaultClient(ClientWrites[WriteResult, UpsertResult]):
    """Lends the module the client's write methods (signatures and docs written once)."""

    __slots__ = ()

    def _user(self, distinct_id: str | int) -> UserContext:
        return get_client().for_user(distinct_id)


_writes = _DefaultClient()
upsert_user = _writes.upsert_user
people_set = _writes.people_set
people_set_once = _writes.people_set_once
people_unset = _writes.people_unset
people_increment = _writes.people_increment
people_append = _writes.people_append
people_union = _writes.people_union
people_remove = _writes.people_remove
people_track_charge = _writes.people_track_charge
people_clear_charges = _writes.people_clear_charges
people_delete_user = _writes.people_delete_user
set_group = _writes.set_group
add_group = _writes.add_group
remove_group = _writes.remove_group
get_group = _writes.get_group
