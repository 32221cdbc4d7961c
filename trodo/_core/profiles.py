"""The people, group and upsert API, written once for both clients.

Every method here is one line onto a write of ``trodo._core.writes``. The
classes are generic over what a write returns: a `WriteResult` on
:class:`TrodoClient`, an awaitable of one on :class:`AsyncTrodoClient`
(``R``), and likewise `UpsertResult` for upsert (``U``). The user contexts
mix in `UserWrites`, the clients `ClientWrites`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from trodo._core import writes as w

__all__ = ["ClientWrites", "GroupProfile", "People", "UserWrites", "Users"]

R = TypeVar("R")
U = TypeVar("U")

Properties = Mapping[str, object]


class UserWrites(ABC, Generic[R, U]):
    """What a user context offers beside events: ``people``, groups, and upsert."""

    __slots__ = ()

    @abstractmethod
    def _write(self, write: w.Write, *args: object) -> R:
        """Check ``args``, then send or queue the write for this user."""

    @abstractmethod
    def _upsert(self, *args: object) -> U:
        """The same for ``users.upsert``."""

    @property
    def people(self) -> People[R]:
        """This user's profile (the vendor's people operations).

        Example::

            user.people.set({"plan": "pro"})
            user.people.increment("logins")
        """
        return People(self)

    def set_group(self, group_key: str, group_id: str | Sequence[str]) -> R:
        """Make the user's groups of kind ``group_key`` exactly ``group_id`` (one or a list).

        Example::

            user.set_group("company", ["acme", "globex"])
        """
        return self._write(w.SET_GROUP, group_key, group_id)

    def add_group(self, group_key: str, group_id: str) -> R:
        """Add the user to one more group of kind ``group_key``."""
        return self._write(w.ADD_GROUP, group_key, group_id)

    def remove_group(self, group_key: str, group_id: str) -> R:
        """Remove the user from a group of kind ``group_key``."""
        return self._write(w.REMOVE_GROUP, group_key, group_id)

    def get_group(self, group_key: str, group_id: str) -> GroupProfile[R]:
        """A group's profile, reached through this user (no request is made here).

        Example::

            user.get_group("company", "acme").set({"plan": "enterprise"})
        """
        return GroupProfile(self, *w.check_group(group_key, group_id))


class People(Generic[R]):
    """One user's profile (``user.people``): the vendor's people operations."""

    __slots__ = ("_user",)

    def __init__(self, user: UserWrites[R, Any]) -> None:
        self._user = user

    def set(self, properties: Properties) -> R:
        """Set profile properties (merged into the profile)."""
        return self._user._write(w.PEOPLE_SET, properties)

    def set_once(self, properties: Properties) -> R:
        """Set the properties the profile has no value for yet."""
        return self._user._write(w.PEOPLE_SET_ONCE, properties)

    def unset(self, keys: str | Sequence[str]) -> R:
        """Remove one property (a str) or several (a list)."""
        return self._user._write(w.PEOPLE_UNSET, keys)

    def increment(self, key: str, amount: float = 1) -> R:
        """Add ``amount`` (negative to subtract) to a numeric property."""
        return self._user._write(w.PEOPLE_INCREMENT, key, amount)

    def append(self, key: str, values: Sequence[object]) -> R:
        """Append ``values`` to a list property."""
        return self._user._write(w.PEOPLE_APPEND, key, values)

    def union(self, key: str, values: Sequence[object]) -> R:
        """Add to a list property those of ``values`` it does not hold yet."""
        return self._user._write(w.PEOPLE_UNION, key, values)

    def remove(self, key: str, values: Sequence[object]) -> R:
        """Remove ``values`` from a list property."""
        return self._user._write(w.PEOPLE_REMOVE, key, values)

    def track_charge(self, amount: float, properties: Properties | None = None) -> R:
        """Record a charge (revenue) of ``amount`` on the profile."""
        return self._user._write(w.PEOPLE_TRACK_CHARGE, amount, properties)

    def clear_charges(self) -> R:
        """Remove every charge of the user."""
        return self._user._write(w.PEOPLE_CLEAR_CHARGES)

    def delete_user(self) -> R:
        """Delete the user's profile."""
        return self._user._write(w.PEOPLE_DELETE_USER)


class GroupProfile(Generic[R]):
    """A group's profile (``user.get_group(group_key, group_id)``)."""

    __slots__ = ("_user", "group_id", "group_key")

    def __init__(self, user: UserWrites[R, Any], group_key: str, group_id: str) -> None:
        self._user = user
        self.group_key = group_key
        """The kind of group, e.g. "company"."""
        self.group_id = group_id
        """The group's id."""

    def __repr__(self) -> str:
        return f"<GroupProfile {self.group_key}={self.group_id!r}>"

    def _write(self, write: w.Write, *args: object) -> R:
        return self._user._write(write, self.group_key, self.group_id, *args)

    def set(self, properties: Properties) -> R:
        """Set group properties."""
        return self._write(w.GROUP_SET, properties)

    def set_once(self, properties: Properties) -> R:
        """Set the group properties that have no value yet."""
        return self._write(w.GROUP_SET_ONCE, properties)

    def union(self, list_name: str, values: Sequence[object]) -> R:
        """Add to a list property those of ``values`` it does not hold yet."""
        return self._write(w.GROUP_UNION, list_name, values)

    def remove(self, list_name: str, value: object) -> R:
        """Remove ``value`` from a list property."""
        return self._write(w.GROUP_REMOVE, list_name, value)

    def unset(self, property: str) -> R:
        """Remove a group property."""
        return self._write(w.GROUP_UNSET, property)

    def increment(self, property: str, value: float = 1) -> R:
        """Add ``value`` to a numeric group property."""
        return self._write(w.GROUP_INCREMENT, property, value)

    def append(self, property: str, value: object) -> R:
        """Append ``value`` to a list property."""
        return self._write(w.GROUP_APPEND, property, value)

    def delete(self) -> R:
        """Delete the group's profile."""
        return self._write(w.GROUP_DELETE)


class Users(Generic[U]):
    """``client.users``: create-or-update of users (the vendor's ``client.users.upsert``)."""

    __slots__ = ("_client",)

    def __init__(self, client: ClientWrites[Any, U]) -> None:
        self._client = client

    def upsert(
        self,
        distinct_id: str | int,
        *,
        properties: Properties | None = None,
        set_once: Properties | None = None,
        fixed_properties: Mapping[str, str] | None = None,
    ) -> U:
        """Same as :meth:`TrodoClient.upsert_user`."""
        return self._client._user(distinct_id)._upsert(properties, set_once, fixed_properties)


class ClientWrites(ABC, Generic[R, U]):
    """The distinct-id-first forms of the writes, on a client (and at module level)."""

    __slots__ = ()

    @abstractmethod
    def _user(self, distinct_id: str | int) -> UserWrites[R, U]:
        """The user's context (``for_user``)."""

    @property
    def users(self) -> Users[U]:
        """``client.users.upsert(...)``, the vendor's spelling of :meth:`upsert_user`."""
        return Users(self)

    def upsert_user(
        self,
        distinct_id: str | int,
        *,
        properties: Properties | None = None,
        set_once: Properties | None = None,
        fixed_properties: Mapping[str, str] | None = None,
    ) -> U:
        """Create or update a user and their traits in one idempotent call.

        Safe on every request. Every bag is optional; with none it still makes
        sure the user exists. ``properties`` are merged into the profile,
        ``set_once`` written only where absent, ``fixed_properties`` write the
        profile columns ``first_location_country``, ``last_location_country``,
        ``first_location_city`` and ``last_location_city`` (no others)::

            client.upsert_user(
                "user_42",
                properties={"plan": "pro"},
                set_once={"signup_date": "2026-01-04"},
                fixed_properties={"last_location_country": "India"},
            )
        """
        return self._user(distinct_id)._upsert(properties, set_once, fixed_properties)

    def people_set(self, distinct_id: str | int, properties: Properties) -> R:
        """``for_user(distinct_id).people.set(properties)``."""
        return self._user(distinct_id).people.set(properties)

    def people_set_once(self, distinct_id: str | int, properties: Properties) -> R:
        """``for_user(distinct_id).people.set_once(properties)``."""
        return self._user(distinct_id).people.set_once(properties)

    def people_unset(self, distinct_id: str | int, keys: str | Sequence[str]) -> R:
        """``for_user(distinct_id).people.unset(keys)``."""
        return self._user(distinct_id).people.unset(keys)

    def people_increment(self, distinct_id: str | int, key: str, amount: float = 1) -> R:
        """``for_user(distinct_id).people.increment(key, amount)``."""
        return self._user(distinct_id).people.increment(key, amount)

    def people_append(self, distinct_id: str | int, key: str, values: Sequence[object]) -> R:
        """``for_user(distinct_id).people.append(key, values)``."""
        return self._user(distinct_id).people.append(key, values)

    def people_union(self, distinct_id: str | int, key: str, values: Sequence[object]) -> R:
        """``for_user(distinct_id).people.union(key, values)``."""
        return self._user(distinct_id).people.union(key, values)

    def people_remove(self, distinct_id: str | int, key: str, values: Sequence[object]) -> R:
        """``for_user(distinct_id).people.remove(key, values)``."""
        return self._user(distinct_id).people.remove(key, values)

    def people_track_charge(
        self, distinct_id: str | int, amount: float, properties: Properties | None = None
    ) -> R:
        """``for_user(distinct_id).people.track_charge(amount, properties)``."""
        return self._user(distinct_id).people.track_charge(amount, properties)

    def people_clear_charges(self, distinct_id: str | int) -> R:
        """``for_user(distinct_id).people.clear_charges()``."""
        return self._user(distinct_id).people.clear_charges()

    def people_delete_user(self, distinct_id: str | int) -> R:
        """``for_user(distinct_id).people.delete_user()``."""
        return self._user(distinct_id).people.delete_user()

    def set_group(self, distinct_id: str | int, group_key: str, group_id: str | Sequence[str]) -> R:
        """``for_user(distinct_id).set_group(group_key, group_id)``."""
        return self._user(distinct_id).set_group(group_key, group_id)

    def add_group(self, distinct_id: str | int, group_key: str, group_id: str) -> R:
        """``for_user(distinct_id).add_group(group_key, group_id)``."""
        return self._user(distinct_id).add_group(group_key, group_id)

    def remove_group(self, distinct_id: str | int, group_key: str, group_id: str) -> R:
        """``for_user(distinct_id).remove_group(group_key, group_id)``."""
        return self._user(distinct_id).remove_group(group_key, group_id)

    def get_group(self, distinct_id: str | int, group_key: str, group_id: str) -> GroupProfile[R]:
        """``for_user(distinct_id).get_group(group_key, group_id)``."""
        return self._user(distinct_id).get_group(group_key, group_id)
