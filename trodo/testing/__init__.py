"""A mock Trodo server for tests and local development: ``pip install "trodo[testing]"``.

``MockTrodoServer`` serves the Trodo API on a real socket, checks every
request against the API spec, records what it accepted, and can be scripted
to misbehave. The pytest plugin gives a ``trodo_server`` fixture that fails a
test whose code sent an invalid request::

    def test_signup_is_tracked(trodo_server):
        client = trodo_server.client()
        client.track("user_42", "signup", {"plan": "pro"})
        client.flush()
        assert [e["event_name"] for e in trodo_server.events] == ["signup"]

Profile, group and upsert writes are in ``profile_updates``, each a
``ProfileUpdate`` naming its operation (``"people.set"``, ``"users.upsert"``, ...).

``python -m trodo.testing --port 8787`` (or ``trodo-mock-server``) runs it as
a dev server that prints each request as it arrives. Every server also serves
a live page at its root (``server.page_url``): the requests in a browser, as
they arrive, and as JSON at ``/_trodo/requests``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from trodo.testing._faults import Answer, Responder
from trodo.testing._records import (
    Event,
    IdentifyCall,
    ProfileUpdate,
    RecordedRequest,
    ResetCall,
    SessionData,
    Violation,
    WalletAddressCall,
)

if TYPE_CHECKING:
    from trodo.testing._server import MockTrodoServer

__all__ = [
    "Answer",
    "Event",
    "IdentifyCall",
    "MockTrodoServer",
    "ProfileUpdate",
    "RecordedRequest",
    "ResetCall",
    "Responder",
    "SessionData",
    "Violation",
    "WalletAddressCall",
]

# The server needs the testing extra: it loads on first use, so that the
# pytest plugin (in this package) loads even where the extra is not installed.
_LAZY = {"MockTrodoServer": "trodo.testing._server"}

_EXTRA_HINT = 'trodo.testing needs the testing extra: pip install "trodo[testing]"'


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"{_EXTRA_HINT} ({exc})") from exc
    return getattr(module, name)
