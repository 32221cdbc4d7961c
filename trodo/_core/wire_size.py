"""How many bytes text takes in the JSON the SDK sends: for the queue's byte bound.

The bound counts every byte an event will occupy on the wire. Ids and names are
counted exactly here (escapes included) once per session, user or event name, so
``track()`` pays a dictionary lookup for them, not an encoding.
"""

from __future__ import annotations

import json

__all__ = ["name_bytes", "text_bytes"]

_SIMPLE = frozenset(map(chr, range(0x20, 0x7F))) - {'"', "\\"}
_NAMES: dict[str, int] = {}
_MAX_NAMES = 1024  # distinct event names and categories remembered


def text_bytes(text: str) -> int:
    """Bytes of ``text`` inside its JSON string (its quotes not counted), exactly.

    >>> text_bytes("café"), text_bytes('say "hi"\\n')
    (5, 12)
    """
    if text.isascii() and _SIMPLE.issuperset(text):
        return len(text)
    encoded = json.dumps(text, ensure_ascii=False)[1:-1]
    # Lone surrogates cannot be sent; counted as the 3 bytes they would take.
    return len(encoded.encode("utf-8", "surrogatepass"))


def name_bytes(name: str) -> int:
    """`text_bytes` of an event name or category, remembered (a small set, in practice)."""
    size = _NAMES.get(name)
    if size is None:
        size = text_bytes(name)
        if len(_NAMES) < _MAX_NAMES:
            _NAMES[name] = size
    return size
