from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.profile_properties import ProfileProperties


T = TypeVar("T", bound="GroupProfilePropertiesRequest")


@_attrs_define
class GroupProfilePropertiesRequest:
    """Properties to write on a group's profile (set, set_once)."""

    site_id: str
    user_id: str
    group_key: str
    group_id: str
    properties: ProfileProperties
    """ The caller's JSON-serialisable profile properties. """

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        user_id = self.user_id

        group_key = self.group_key

        group_id = self.group_id

        properties = self.properties.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "userId": user_id,
                "groupKey": group_key,
                "groupId": group_id,
                "properties": properties,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.profile_properties import ProfileProperties  # noqa: PLC0415

        d = dict(src_dict)
        site_id = d.pop("siteId")

        user_id = d.pop("userId")

        group_key = d.pop("groupKey")

        group_id = d.pop("groupId")

        properties = ProfileProperties.from_dict(d.pop("properties"))

        group_profile_properties_request = cls(
            site_id=site_id,
            user_id=user_id,
            group_key=group_key,
            group_id=group_id,
            properties=properties,
        )

        return group_profile_properties_request
