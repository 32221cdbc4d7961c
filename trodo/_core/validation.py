"""Call-site checks: wrong use raises here, before anything is queued or sent.

Whatever the wire or the encoder would refuse later is refused here, naming
the argument or the key path: lone surrogates (UTF-8 cannot encode them),
ints longer than the interpreter writes, timestamps whose UTC form falls
outside years 1-9999, and events too large for any request.

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

Copying is linear in the input: an object reached twice (a shared sub-dict)
is converted once and its copy reused, so the copy has the input's shape, and
its size is counted as often as it will be written. Depth is capped at
``MAX_DEPTH`` levels, and an event must fit ``max_request_bytes``: work stops
as soon as the count (never below the encoded size) shows it cannot.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import json
import math
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeAlias, TypeGuard

SEVERITIES: Final = ("critical", "error", "warning")
MAX_DEPTH: Final = 32
"""Deepest nesting of properties (a dict or list inside a dict ... counts one level each)."""
DEFAULT_MAX_EVENT_BYTES: Final = 512 * 1024
# Rough JSON cost of the keys and punctuation of one event on the wire (232
# bytes with empty strings, plus the timestamp's fraction and the comma in a
# batch); the names, ids and properties add their own size.
EVENT_OVERHEAD_BYTES: Final = 260
# The count of nested values (copy_properties' guard against absurd inputs, not
# their size) is below their encoded size by at most 6x (a control character is
# written as \u0001) and above it by at most 4.5x (a small int in a list): past
# _OVER times max_bytes an event is refused without encoding it.
_OVER: Final = 5
_INT_FAST: Final = 2**63  # orjson writes 64-bit ints; the standard library the rest
_INT_LOW: Final = -_INT_FAST
_INT_HIGH: Final = _INT_FAST
# Top-level keys known to be str without surrogates: a set lookup instead of
# the checks, as apps use a few keys over and over.
_PLAIN_KEYS: set[str] = set()
_MAX_PLAIN_KEYS: Final = 4096
_PLAIN_KEY_CHARS: Final = 64
_DUMPS: list[Callable[[Any], bytes]] = []  # the encoder, once loaded

Path: TypeAlias = "tuple[Path | None, str | int] | None"
"""Where a value sits, built only as far as needed: (parent, key or index); None is
the properties themselves. Formatted only when something is refused."""


def describe(path: Path) -> str:
    """``properties['cart']['items'][1]`` for a path."""
    parts: list[str] = []
    while path is not None:
        path, segment = path
        parts.append(f"[{segment}]" if isinstance(segment, int) else f"[{segment!r}]")
    return "properties" + "".join(reversed(parts))


# -- text ----------------------------------------------------------------------------


def utf8_size(text: str, what: str) -> int:
    """Bytes ``text`` takes as UTF-8; raise ValueError naming ``what`` for a lone surrogate."""
    try:
        return len(text.encode())
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{what} holds a lone surrogate ({text[exc.start]!r} at index {exc.start}), which "
            "UTF-8, and so JSON on the wire, cannot carry; decode bytes with errors='replace' "
            "or pass valid text"
        ) from None


def require_str(value: object, name: str) -> str:
    """Return ``value`` if it is a non-empty str, else raise naming the argument."""
    if type(value) is str and value:
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a non-empty str, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must be a non-empty str, got ''")
    return value


def require_text(value: object, name: str) -> str:
    """``require_str``, and the text must be sendable (no lone surrogates)."""
    if type(value) is not str or not value:
        require_str(value, name)
    text: str = value  # type: ignore[assignment]
    if not text.isascii():
        utf8_size(text, name)
    return text


def is_text(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a non-empty str that can be sent (e.g. an id a server answered)."""
    if not isinstance(value, str) or not value:
        return False
    try:
        return value.isascii() or bool(value.encode())
    except UnicodeEncodeError:
        return False


def require_severity(severity: object) -> str:
    """Check a capture_error severity."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}; got {severity!r}")
    return str(severity)


def epoch_seconds(timestamp: object) -> float:
    """Check an event timestamp (a timezone-aware datetime); return its epoch seconds.

    Its UTC form must fall within years 1 to 9999, as the wire's ISO 8601 does:
    ``datetime(1, 1, 1, tzinfo=+05:00)`` is 0000-12-31T19:00Z, and is refused.
    """
    if not isinstance(timestamp, _dt.datetime):
        raise TypeError(f"timestamp must be a datetime, got {type(timestamp).__name__}")
    if timestamp.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware; pass e.g. datetime.now(timezone.utc)")
    try:
        seconds = timestamp.timestamp()
        # The conversion the wire model makes: what fails here would fail there.
        _dt.datetime.fromtimestamp(seconds, _dt.UTC)
    except (OverflowError, ValueError, OSError):
        raise ValueError(
            f"timestamp {timestamp.isoformat()} is out of range: its UTC form must fall "
            "within years 1 to 9999"
        ) from None
    return seconds


# -- properties ----------------------------------------------------------------------


def copy_properties(
    properties: object, max_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> tuple[dict[str, Any], int]:
    """Validate and copy event properties; return the copy and its size as JSON.

    The size is exact: the bytes the copy takes in the request (its escapes,
    its UTF-8, its numbers as the encoder writes them). Properties that cannot
    fit ``max_bytes`` raise ValueError, found before encoding them when their
    count shows it.

    >>> copy_properties({"plan": "pro", "seats": 3})
    ({'plan': 'pro', 'seats': 3}, 24)
    """
    if properties is None:
        return {}, 2
    # An exact dict skips the (slow) Mapping ABC check: the usual case.
    if type(properties) is not dict and not isinstance(properties, Mapping):
        raise TypeError(
            f"properties must be a mapping such as a dict, got {type(properties).__name__}"
        )
    if len(properties) * 5 > max_bytes:  # '"k":0,' at the least, for each
        raise _too_large(len(properties) * 5, max_bytes, None)
    # A plain value is kept as it is; the loop replaces the others in the copy.
    out: dict[str, Any] = dict(properties)
    # Below the size (text lengths): refuses a huge value without encoding it.
    size = 0
    copier: _Copier | None = None
    low, high, isfinite = _INT_LOW, _INT_HIGH, math.isfinite
    plain_keys = _PLAIN_KEYS
    # The common case, a flat dict of plain values, stays on this loop: it checks
    # the copy; the encoder measures it once, at the end.
    for key, value in out.items():
        if type(key) is not str or key not in plain_keys:
            size += _odd_key(key, size, max_bytes)
        kind = type(value)
        if kind is str:
            size += len(value)
            if not value.isascii():
                if size > max_bytes:  # refused before encoding it
                    raise _too_large(size, max_bytes, (None, key))
                utf8_size(value, describe((None, key)))
        elif kind is int:
            if not low <= value < high:
                _int_size(value, (None, key))
        elif not (kind is bool or value is None or (kind is float and isfinite(value))):
            if copier is None:
                copier = _Copier(max_bytes)
            copier.size = size
            out[key] = copier.convert(value, (None, key), 1)
            size = copier.size
    if size > (max_bytes if copier is None else _OVER * max_bytes):
        raise _too_large(size, max_bytes, None)
    # Exact; the work is bounded, as what the count lets through is a small multiple
    # of the limit (short keys, remembered, are not counted: 64 bytes each at most).
    size = json_size(out)
    if size > max_bytes:
        raise _too_large(size, max_bytes, None)
    return out, size


def _encoder() -> Callable[[Any], bytes]:
    """The transport's encoder (orjson), imported with the first event, not with trodo."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency on CPython
        _DUMPS.append(_standard_dumps)
    else:
        _DUMPS.append(orjson.dumps)
    return _DUMPS[0]


def _standard_dumps(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode()


def _odd_key(key: object, size: int, max_bytes: int) -> int:
    """A key not yet known to be plain: check it (str, no lone surrogate; one that
    takes the count past ``max_bytes`` is refused before it is encoded) and
    remember a short ASCII one; its length."""
    if type(key) is not str:
        raise TypeError(
            f"property keys must be str; properties has key {key!r} of type {type(key).__name__}"
        )
    if not key.isascii():
        if size + len(key) > max_bytes:
            raise _too_large(size + len(key), max_bytes, None)
        utf8_size(key, f"the key {key!r} of properties")
    elif len(key) <= _PLAIN_KEY_CHARS and len(_PLAIN_KEYS) < _MAX_PLAIN_KEYS:
        _PLAIN_KEYS.add(key)
    return len(key)


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON, as the transport writes it (orjson, or the
    standard library for what orjson refuses)."""
    dumps = _DUMPS[0] if _DUMPS else _encoder()
    try:
        return len(dumps(value))
    except TypeError:  # an int beyond 64 bits
        return len(_standard_dumps(value))


def _too_large(size: int, max_bytes: int, path: Path) -> ValueError:
    where = f" (the limit was passed at {describe(path)})" if path is not None else ""
    return ValueError(
        f"the event's properties are about {size:,} bytes as JSON, more than "
        f"max_request_bytes ({max_bytes:,}) allows one request{where}; send large data "
        "elsewhere and track a reference to it"
    )


def _int_size(value: int, path: Path) -> int:
    """The digits of an int beyond 64 bits, which the standard library encoder writes."""
    try:
        return len(str(value))
    except ValueError:  # the interpreter's limit, sys.get_int_max_str_digits()
        raise ValueError(
            f"{describe(path)} is an int of more digits than JSON encoding writes "
            "(sys.get_int_max_str_digits()); pass it as a str"
        ) from None


class _Copier:
    """Converts nested values; one per call, made only when a value is not flat.

    ``size`` runs over the whole event, so work stops once it cannot fit.
    ``memo`` maps the id of each container converted to (the container, its
    copy, its size, the depth it was converted at): a container reached again
    at that depth or shallower reuses its copy. Holding the container keeps
    its id from being reused by another object during the call.
    """

    __slots__ = ("_active", "_limit", "_max_bytes", "_memo", "size")

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._limit = _OVER * max_bytes
        self._memo: dict[int, tuple[object, Any, int, int]] = {}
        self._active: set[int] = set()
        self.size = 0

    def convert(self, value: object, path: Path, depth: int) -> Any:
        """Convert ``value`` to plain JSON, adding its estimated size to ``size``."""
        if isinstance(value, str):
            text = str(value)
            self.size += (len(text) if text.isascii() else utf8_size(text, describe(path))) + 2
            return text
        if isinstance(value, bool) or value is None:
            self.size += 5
            return value
        if isinstance(value, int):
            whole = int(value)
            self.size += 8 if -_INT_FAST <= whole < _INT_FAST else _int_size(whole, path)
            return whole
        if isinstance(value, float | decimal.Decimal):
            number = float(value)
            if math.isfinite(number):
                self.size += 12
                return number
            self.size += 4
            return None
        if isinstance(value, _dt.datetime | _dt.date | _dt.time):
            text = value.isoformat()
            self.size += len(text) + 2
            return text
        if isinstance(value, uuid.UUID):
            self.size += 38
            return str(value)
        if isinstance(value, enum.Enum):
            return self.convert(value.value, path, depth)
        if isinstance(value, Mapping | list | tuple | set | frozenset):
            return self._container(value, path, depth)
        raise TypeError(
            f"{describe(path)} is a {type(value).__name__}, which JSON cannot carry; pass str, "
            "int, float, bool, None, a datetime/date, Decimal, UUID, Enum, or a "
            "dict/list/tuple/set of those"
        )

    def _container(self, value: Any, path: Path, depth: int) -> Any:
        ident = id(value)
        seen = self._memo.get(ident)
        if seen is not None and seen[0] is value and depth <= seen[3]:
            self.size += seen[2]
            if self.size > self._limit:
                raise _too_large(self.size, self._max_bytes, path)
            return seen[1]
        if ident in self._active:
            raise ValueError(
                f"{describe(path)} refers to itself (a cycle), which JSON cannot carry"
            )
        if depth > MAX_DEPTH:
            raise ValueError(
                f"{describe(path)} is nested more than {MAX_DEPTH} levels deep, the most "
                "properties may nest"
            )
        start = self.size
        self._active.add(ident)
        try:
            copy = (
                self._mapping(value, path, depth)
                if isinstance(value, Mapping)
                else (self._items(value, path, depth))
            )
        finally:
            self._active.discard(ident)
        self._memo[ident] = (value, copy, self.size - start, depth)
        return copy

    def _mapping(self, value: Mapping[Any, Any], path: Path, depth: int) -> dict[str, Any]:
        if len(value) * 5 > self._max_bytes:
            raise _too_large(self.size + len(value) * 5, self._max_bytes, path)
        out: dict[str, Any] = {}
        self.size += 2
        for given, item in value.items():
            if not isinstance(given, str):
                raise TypeError(
                    f"{describe(path)} has key {given!r} of type {type(given).__name__}; "
                    "keys must be str"
                )
            key = str(given)  # a str subclass becomes a plain str
            if key.isascii():
                self.size += len(key) + 4
            else:
                self.size += utf8_size(key, f"the key {key!r} of {describe(path)}") + 4
            out[key] = self.convert(item, (path, key), depth + 1)
            if self.size > self._limit:
                raise _too_large(self.size, self._max_bytes, (path, key))
        return out

    def _items(self, value: Any, path: Path, depth: int) -> list[Any]:
        if len(value) * 2 > self._max_bytes:  # '0,' at the least, for each
            raise _too_large(self.size + len(value) * 2, self._max_bytes, path)
        items: Any = value
        if isinstance(value, set | frozenset):
            try:
                items = sorted(value)
            except TypeError:
                items = list(value)
        out: list[Any] = []
        self.size += 2
        for index, item in enumerate(items):
            out.append(self.convert(item, (path, index), depth + 1))
            self.size += 1
            if self.size > self._limit:
                raise _too_large(self.size, self._max_bytes, (path, index))
        return out
