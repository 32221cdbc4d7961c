"""Which client an integration uses when the app does not hand it one."""

from __future__ import annotations

import threading

import trodo
from trodo._client import TrodoClient
from trodo._config import ClientOptions

_lock = threading.Lock()


def default_client(options: ClientOptions) -> TrodoClient:
    """The process's default client (the one ``trodo.track(...)`` uses).

    With options, ``trodo.init(**options)`` makes it (replacing one made
    before). Without, the one ``trodo.init()`` already made, or a new one
    from the environment (TRODO_SITE_ID, TRODO_API_BASE, TRODO_DISABLED).
    """
    with _lock:
        existing = trodo._default
        if existing is not None and not options:
            return existing
        return trodo.init(**options)
