from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="GroupProfileIncrementRequest")


@_attrs_define
class GroupProfileIncrementRequest:
    """Adds ``value`` to a numeric group profile property."""

    site_id: str
    user_id: str
    group_key: str
    group_id: str
    property_: str
    value: float
    """ How much to add; the SDKs default it to 1. """

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        user_id = self.user_id

        group_key = self.group_key

        group_id = self.group_id

        property_ = self.property_

        value = self.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "userId": user_id,
                "groupKey": group_key,
                "groupId": group_id,
                "property": property_,
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

        property_ = d.pop("property")

        value = d.pop("value")

        group_profile_increment_request = cls(
            site_id=site_id,
            user_id=user_id,
            group_key=group_key,
            group_id=group_id,
            property_=property_,
            value=value,
        )

        return group_profile_increment_request
