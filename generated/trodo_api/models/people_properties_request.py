from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.profile_properties import ProfileProperties


T = TypeVar("T", bound="PeoplePropertiesRequest")


@_attrs_define
class PeoplePropertiesRequest:
    """Properties to write on a user's profile (set, set_once)."""

    site_id: str
    user_id: str
    properties: ProfileProperties
    """ The caller's JSON-serialisable profile properties. """

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        user_id = self.user_id

        properties = self.properties.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "userId": user_id,
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

        properties = ProfileProperties.from_dict(d.pop("properties"))

        people_properties_request = cls(
            site_id=site_id,
            user_id=user_id,
            properties=properties,
        )

        return people_properties_request
