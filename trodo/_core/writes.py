"""Profile, group and upsert writes (protocol.md): each one defined here, once.

One entry a write: its operation name (``DeliveryError.operation``, and the
mock server's ``ProfileUpdate.operation``), the names of its arguments, and
the call-site check that turns the caller's arguments into plain JSON values
or raises. How each one is encoded on the wire is its entry in
``trodo._wire.writes`` (a test checks that every write has one). Every
public form, on both clients (``user.people.set``, ``user.get_group(...).set``,
``client.people_set``, ``client.upsert_user``, ``trodo.people_set``, ...),
runs its write through ``ContextBase._write_record`` and the client's delivery.

These are writes the caller does not wait on: with batching on they are
queued with the user's events and sent by the background sender, one request
each; with batching off they are sent before the call returns. None of them
registers a session first: they name the user, not a session.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from trodo._core.arguments import json_copy
from trodo._core.validation import json_size, require_text
from trodo._core.wire_size import text_bytes

__all__ = ["FIXED_PROPERTIES", "WRITES", "Write", "WriteRecord"]

FIXED_PROPERTIES: Final = (
    "first_location_country",
    "last_location_country",
    "first_location_city",
    "last_location_city",
)
"""The profile columns ``upsert_user(fixed_properties=...)`` writes; no others."""

# Rough JSON cost of a write's keys and punctuation, for the queue's byte bound.
WRITE_OVERHEAD_BYTES: Final = 120


@dataclass(frozen=True, slots=True, eq=False)
class Write:
    """One write: everything about it that is not the wire."""

    name: str
    """e.g. "people.set": reported as ``DeliveryError.operation``."""
    params: tuple[str, ...]
    """The names of its checked arguments, in order (``LostWrite.arguments``)."""
    check: Callable[..., tuple[Any, ...]]
    """The caller's arguments in, plain JSON values out (in ``params`` order); raises."""

    def __repr__(self) -> str:
        return f"<Write {self.name}>"


@dataclass(frozen=True, slots=True, eq=False)
class WriteRecord:
    """A write as accepted at the call: checked, copied, and for whom.

    ``distinct_id`` is the user's id at the call (after any identify merge
    before it), so a queued write keeps the id it was made for.
    """

    write: Write
    distinct_id: str
    args: tuple[Any, ...]
    size: int

    def arguments(self) -> dict[str, Any]:
        """The arguments by name, e.g. ``{"properties": {...}}``."""
        return dict(zip(self.write.params, self.args, strict=True))


# -- call-site checks ---------------------------------------------------------------------


def bag(value: object, name: str) -> dict[str, Any]:
    """A property mapping, copied into plain JSON values (as track's properties)."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping such as a dict, got {type(value).__name__}")
    result: dict[str, Any] = json_copy(value, name)
    return result


def optional_bag(value: object, name: str) -> dict[str, Any] | None:
    return None if value is None else bag(value, name)


def values_list(value: object, name: str) -> list[Any]:
    """A list (or tuple) of JSON values, copied."""
    if not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a list, got {type(value).__name__}")
    result: list[Any] = json_copy(value, name)
    return result


def json_value(value: object, name: str) -> Any:
    """Any one JSON value, copied."""
    return json_copy(value, name)


def number(value: object, name: str) -> int | float:
    """A finite int or float (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number (int or float), got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def str_list(value: object, name: str, *, allow_empty: bool) -> str | list[str]:
    """One non-empty str, or a list (tuple) of them."""
    if isinstance(value, str):
        return require_text(value, name)
    if not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a str or a list of str, got {type(value).__name__}")
    items = [require_text(item, f"{name}[{i}]") for i, item in enumerate(value)]
    if not items and not allow_empty:
        raise ValueError(f"{name} must name at least one, got an empty list")
    return items


def fixed_bag(value: object) -> dict[str, str] | None:
    """upsert's fixed_properties: only the four columns, each a str."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(
            f"fixed_properties must be a mapping such as a dict, got {type(value).__name__}"
        )
    unknown = [key for key in value if key not in FIXED_PROPERTIES]
    if unknown:
        raise ValueError(
            f"fixed_properties takes only {', '.join(FIXED_PROPERTIES)}; "
            f"not {', '.join(repr(k) for k in unknown)} (Trodo would skip them: device, "
            "browser, OS, referrer and UTM are the browser's to observe; use properties= "
            "for your own traits)"
        )
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise TypeError(f"fixed_properties[{key!r}] must be a str, got {type(item).__name__}")
        out[key] = item
    return out


def _unset_keys(keys: object) -> tuple[Any, ...]:
    checked = str_list(keys, "keys", allow_empty=False)
    return ([checked] if isinstance(checked, str) else checked,)


def check_group(group_key: object, group_id: object) -> tuple[str, str]:
    """One group: its kind and id (``add_group``, ``remove_group``, ``get_group``)."""
    return require_text(group_key, "group_key"), require_text(group_id, "group_id")


# -- the writes ---------------------------------------------------------------------------

PEOPLE_SET = Write("people.set", ("properties",), lambda p: (bag(p, "properties"),))
PEOPLE_SET_ONCE = Write("people.set_once", ("properties",), lambda p: (bag(p, "properties"),))
PEOPLE_UNSET = Write("people.unset", ("keys",), _unset_keys)
PEOPLE_INCREMENT = Write(
    "people.increment",
    ("key", "amount"),
    lambda key, amount: (require_text(key, "key"), number(amount, "amount")),
)


def _list_write(verb: str) -> Write:
    return Write(
        f"people.{verb}",
        ("key", "values"),
        lambda key, values: (require_text(key, "key"), values_list(values, "values")),
    )


PEOPLE_APPEND = _list_write("append")
PEOPLE_UNION = _list_write("union")
PEOPLE_REMOVE = _list_write("remove")
PEOPLE_TRACK_CHARGE = Write(
    "people.track_charge",
    ("amount", "properties"),
    # No properties: {} on the wire, never null.
    lambda amount, p: (number(amount, "amount"), optional_bag(p, "properties") or {}),
)
PEOPLE_CLEAR_CHARGES = Write("people.clear_charges", (), lambda: ())
PEOPLE_DELETE_USER = Write("people.delete_user", (), lambda: ())

SET_GROUP = Write(
    "groups.set_group",
    ("group_key", "group_id"),
    lambda key, gid: (
        require_text(key, "group_key"),
        str_list(gid, "group_id", allow_empty=True),
    ),
)
ADD_GROUP = Write("groups.add_group", ("group_key", "group_id"), check_group)
REMOVE_GROUP = Write("groups.remove_group", ("group_key", "group_id"), check_group)


def _group_write(verb: str, *checks: tuple[str, Callable[[Any, str], Any]]) -> Write:
    """A group profile's write: the group (checked by get_group) comes first, then
    its arguments, each checked under its name."""

    def check(group_key: str, group_id: str, *args: object) -> tuple[Any, ...]:
        checked = (fn(arg, name) for (name, fn), arg in zip(checks, args, strict=True))
        return (group_key, group_id, *checked)

    params = ("group_key", "group_id", *(name for name, _ in checks))
    return Write(f"groups.profile.{verb}", params, check)


GROUP_SET = _group_write("set", ("properties", bag))
GROUP_SET_ONCE = _group_write("set_once", ("properties", bag))
GROUP_UNION = _group_write("union", ("list_name", require_text), ("values", values_list))
GROUP_REMOVE = _group_write("remove", ("list_name", require_text), ("value", json_value))
GROUP_UNSET = _group_write("unset", ("property", require_text))
GROUP_INCREMENT = _group_write("increment", ("property", require_text), ("value", number))
GROUP_APPEND = _group_write("append", ("property", require_text), ("value", json_value))
GROUP_DELETE = _group_write("delete")

UPSERT_USER = Write(
    "users.upsert",
    ("properties", "set_once", "fixed_properties"),
    lambda p, once, fixed: (
        optional_bag(p, "properties"),
        optional_bag(once, "set_once"),
        fixed_bag(fixed),
    ),
)

WRITES: tuple[Write, ...] = (
    PEOPLE_SET,
    PEOPLE_SET_ONCE,
    PEOPLE_UNSET,
    PEOPLE_INCREMENT,
    PEOPLE_APPEND,
    PEOPLE_UNION,
    PEOPLE_REMOVE,
    PEOPLE_TRACK_CHARGE,
    PEOPLE_CLEAR_CHARGES,
    PEOPLE_DELETE_USER,
    SET_GROUP,
    ADD_GROUP,
    REMOVE_GROUP,
    GROUP_SET,
    GROUP_SET_ONCE,
    GROUP_UNION,
    GROUP_REMOVE,
    GROUP_UNSET,
    GROUP_INCREMENT,
    GROUP_APPEND,
    GROUP_DELETE,
    UPSERT_USER,
)
"""Every write; ``trodo._wire.writes`` has an entry for each (a test checks)."""


def write_record(
    write: Write, distinct_id: str, site_id: str, args: tuple[Any, ...], max_bytes: int
) -> WriteRecord:
    """Check the caller's arguments and make the record (raises on wrong use).

    Like an event, a write larger than one request may carry (``max_request_bytes``)
    is refused here: the server could only refuse it.
    """
    checked = write.check(*args)
    # The ids as JSON writes them (escapes included), as an event's are counted; the
    # body's siteId too (upsert has none: counted all the same, a bound from above).
    size = json_size(checked) + text_bytes(distinct_id) + text_bytes(site_id)
    size += WRITE_OVERHEAD_BYTES
    if size > max_bytes:
        raise ValueError(
            f"the {write.name} write is {size:,} bytes as JSON, more than max_request_bytes "
            f"({max_bytes:,}) allows one request"
        )
    return WriteRecord(write, distinct_id, checked, size)
