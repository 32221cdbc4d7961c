from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="PeopleUnsetRequest")


@_attrs_define
class PeopleUnsetRequest:
    """Profile properties to remove."""

    site_id: str
    user_id: str
    keys: list[str]
    """ The property names; a single key is a one-item array. """

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        user_id = self.user_id

        keys = self.keys

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "userId": user_id,
                "keys": keys,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        site_id = d.pop("siteId")

        user_id = d.pop("userId")

        keys = cast(list[str], d.pop("keys"))

        people_unset_request = cls(
            site_id=site_id,
            user_id=user_id,
            keys=keys,
        )

        return people_unset_request
