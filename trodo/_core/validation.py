"""Call-site checks: wrong use raises here, before anything is queued or sent.

Properties are copied into plain JSON values at the call, so a dict changed
afterwards does not change the event, and the background sender never meets a
value it cannot encode. Conversion rules (documented in the README):

- str, int, bool, None: kept. float: kept; NaN and the infinities become None,
  because JSON has no spelling for them.
- datetime, date, time: ISO 8601 strings. Decimal: float (NaN/inf: None).
  UUID: its string. Enum: its value (converted by these rules).
- Mapping: a new dict (keys must be str). list, tuple, set, frozenset: a new
  list (sets sorted when their items can be sorted, so the output is stable).
- Anything else raises TypeError naming the key path, e.g. properties['cart'][2].
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import math
import uuid
from collections.abc import Mapping
from typing import Any, Final

SEVERITIES: Final = ("critical", "error", "warning")
_MAX_DEPTH: Final = 32
# Rough JSON cost of the keys and punctuation of one event on the wire; the
# properties add their own estimate. Used for the queue's and requests' byte
# bounds, where an estimate is enough and encoding on the caller's thread is not.
EVENT_OVERHEAD_BYTES: Final = 260


def require_str(value: object, name: str) -> str:
    """Return ``value`` if it is a non-empty str, else raise naming the argument."""
    if type(value) is str and value:
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a non-empty str, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must be a non-empty str, got ''")
    return value


def require_severity(severity: object) -> str:
    """Check a capture_error severity."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}; got {severity!r}")
    return str(severity)


def epoch_seconds(timestamp: object) -> float:
    """Check an event timestamp (a timezone-aware datetime); return its epoch seconds."""
    if not isinstance(timestamp, _dt.datetime):
        raise TypeError(f"timestamp must be a datetime, got {type(timestamp).__name__}")
    if timestamp.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware; pass e.g. datetime.now(timezone.utc)")
    return timestamp.timestamp()


def copy_properties(properties: object) -> tuple[dict[str, Any], int]:
    """Validate and copy event properties; return the copy and its approximate JSON size.

    >>> copy_properties({"plan": "pro", "seats": 3})[0]
    {'plan': 'pro', 'seats': 3}
    """
    if properties is None:
        return {}, 2
    # An exact dict skips the (slow) Mapping ABC check: the usual case.
    if type(properties) is not dict and not isinstance(properties, Mapping):
        raise TypeError(
            f"properties must be a mapping such as a dict, got {type(properties).__name__}"
        )
    out: dict[str, Any] = {}
    size = 2
    # The common case, a flat dict of plain values, stays on this loop.
    for key, value in properties.items():
        if type(key) is not str:
            raise TypeError(
                f"property keys must be str; properties has key {key!r} "
                f"of type {type(key).__name__}"
            )
        kind = type(value)
        if kind is str:
            # Bytes on the wire: isascii() is O(1), encoding only non-ASCII text.
            size += len(value) if value.isascii() else len(value.encode())
        elif kind is int or kind is bool or value is None:
            size += 6
        elif kind is float and math.isfinite(value):
            size += 12
        else:
            out[key], extra = _convert(value, f"properties[{key!r}]", 1)
            size += extra + len(key) + 6
            continue
        out[key] = value
        size += len(key) + 6
    return out, size


def _convert(value: object, path: str, depth: int) -> tuple[Any, int]:
    """Convert one non-trivial value to plain JSON; return it and its size estimate."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"{path} is nested more than {_MAX_DEPTH} levels deep (or is cyclic)")
    if isinstance(value, str):
        text = str(value)
        return text, (len(text) if text.isascii() else len(text.encode())) + 2
    if isinstance(value, bool) or value is None:
        return value, 5
    if isinstance(value, int):
        return int(value), 8
    if isinstance(value, float | decimal.Decimal):
        number = float(value)
        return (number, 12) if math.isfinite(number) else (None, 4)
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        text = value.isoformat()
        return text, len(text) + 2
    if isinstance(value, uuid.UUID):
        return str(value), 38
    if isinstance(value, enum.Enum):
        return _convert(value.value, path, depth + 1)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        size = 2
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{path} has key {key!r} of type {type(key).__name__}; keys must be str"
                )
            out[key], item_size = _convert(item, f"{path}[{key!r}]", depth + 1)
            size += item_size + len(key) + 4
        return out, size
    if isinstance(value, list | tuple | set | frozenset):
        items: Any = value
        if isinstance(value, set | frozenset):
            try:
                items = sorted(value)
            except TypeError:
                items = list(value)
        converted = [_convert(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(items)]
        return [v for v, _ in converted], 2 + sum(s + 1 for _, s in converted)
    raise TypeError(
        f"{path} is a {type(value).__name__}, which JSON cannot carry; pass str, int, float, "
        "bool, None, a datetime/date, Decimal, UUID, Enum, or a dict/list/tuple/set of those"
    )
