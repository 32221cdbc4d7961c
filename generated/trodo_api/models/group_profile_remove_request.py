from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="GroupProfileRemoveRequest")


@_attrs_define
class GroupProfileRemoveRequest:
    """A value to remove from a group's list property."""

    site_id: str
    user_id: str
    group_key: str
    group_id: str
    list_name: str
    value: Any
    """ Any JSON value. """

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        user_id = self.user_id

        group_key = self.group_key

        group_id = self.group_id

        list_name = self.list_name

        value = self.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "userId": user_id,
                "groupKey": group_key,
                "groupId": group_id,
                "listName": list_name,
                "value": value,
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

        value = d.pop("value")

        group_profile_remove_request = cls(
            site_id=site_id,
            user_id=user_id,
            group_key=group_key,
            group_id=group_id,
            list_name=list_name,
            value=value,
        )

        return group_profile_remove_request
