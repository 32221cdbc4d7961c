"""Argument forms beside the call-site checks of ``trodo._core.validation``: the
vendor SDK's (an int distinct id, ``wallet_addr=``) and one JSON value copied
by the properties' rules (profile writes' values and lists)."""

from __future__ import annotations

from typing import Any

from trodo._core.validation import copy_properties, require_text

__all__ = ["json_copy", "require_distinct_id", "wallet_argument"]


def require_distinct_id(value: object, name: str = "distinct_id") -> str:
    """A distinct id: a non-empty str, or an int (not a bool) as its decimal string.

    The vendor's SDK takes an int (Django's ``request.user.pk``); it is the
    same user as its string.
    """
    if type(value) is int:
        return str(value)
    if isinstance(value, bool) or not isinstance(value, str):
        raise TypeError(f"{name} must be a non-empty str (or an int), got {type(value).__name__}")
    return require_text(value, name)


def wallet_argument(address: object, wallet_addr: object) -> object:
    """``wallet_address``'s one argument, by our name (``address``) or the vendor's
    (``wallet_addr=``); both or neither is a TypeError."""
    if (address is None) == (wallet_addr is None):
        which = "both" if address is not None else "neither"
        raise TypeError(
            f"wallet_address() takes the address once, as address or wallet_addr=; got {which}"
        )
    return address if address is not None else wallet_addr


def json_copy(value: object, name: str) -> Any:
    """``value`` copied into plain JSON values by the rules above, as the one
    property ``name`` (errors name it ``name``, e.g. ``values[2]``)."""
    try:
        copied, _ = copy_properties({name: value})
    except (TypeError, ValueError) as exc:
        raise type(exc)(str(exc).replace(f"properties[{name!r}]", name)) from None
    return copied[name]
