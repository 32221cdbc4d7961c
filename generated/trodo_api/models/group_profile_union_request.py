from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="GroupProfileUnionRequest")


@_attrs_define
class GroupProfileUnionRequest:
    """Values to add to a group's list property, without duplicates."""

    site_id: str
    user_id: str
    group_key: str
    group_id: str
    list_name: str
    values: list[Any]

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        user_id = self.user_id

        group_key = self.group_key

        group_id = self.group_id

        list_name = self.list_name

        values = self.values

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "userId": user_id,
                "groupKey": group_key,
                "groupId": group_id,
                "listName": list_name,
                "values": values,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        site_id = d.pop("siteId")

        user_id = d.pop("userId")

        group_key = d.pop("groupKey")

        group_id = d.pop("groupId")

        list_name = d.pop("listName")

        values = cast(list[Any], d.pop("values"))

        group_profile_union_request = cls(
            site_id=site_id,
            user_id=user_id,
            group_key=group_key,
            group_id=group_id,
            list_name=list_name,
            values=values,
        )

        return group_profile_union_request
