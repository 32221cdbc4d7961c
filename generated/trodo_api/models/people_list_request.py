from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="PeopleListRequest")


@_attrs_define
class PeopleListRequest:
    """Values to append to, union into or remove from a list property."""

    site_id: str
    user_id: str
    key: str
    values: list[Any]

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        user_id = self.user_id

        key = self.key

        values = self.values

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "userId": user_id,
                "key": key,
                "values": values,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        site_id = d.pop("siteId")

        user_id = d.pop("userId")

        key = d.pop("key")

        values = cast(list[Any], d.pop("values"))

        people_list_request = cls(
            site_id=site_id,
            user_id=user_id,
            key=key,
            values=values,
        )

        return people_list_request
