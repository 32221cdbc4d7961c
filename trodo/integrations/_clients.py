"""Which client an integration uses when the app does not hand it one."""

from __future__ import annotations

import threading

import trodo
from trodo import ClientOptions, TrodoClient

_lock = threading.Lock()


def existing_default() -> TrodoClient | None:
    """The default client ``trodo.init()`` made, or None before it."""
    try:
        return trodo.get_client()
    except RuntimeError:
        return None


def default_client(options: ClientOptions) -> TrodoClient:
    """The process's default client (the one ``trodo.track(...)`` uses).

    With options, ``trodo.init(**options)`` makes it (replacing one made
    before). Without, the one ``trodo.init()`` already made, or a new one
    from the environment (TRODO_SITE_ID, TRODO_API_BASE, TRODO_DISABLED).
    """
    with _lock:
        existing = existing_default()
        if existing is not None and not options:
            return existing
        return trodo.init(**options)
