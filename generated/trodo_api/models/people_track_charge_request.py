from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.profile_properties import ProfileProperties


T = TypeVar("T", bound="PeopleTrackChargeRequest")


@_attrs_define
class PeopleTrackChargeRequest:
    """One charge (revenue) on the user's profile."""

    site_id: str
    user_id: str
    amount: float
    properties: ProfileProperties
    """ The caller's JSON-serialisable profile properties. """

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        user_id = self.user_id

        amount = self.amount

        properties = self.properties.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "userId": user_id,
                "amount": amount,
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

        amount = d.pop("amount")

        properties = ProfileProperties.from_dict(d.pop("properties"))

        people_track_charge_request = cls(
            site_id=site_id,
            user_id=user_id,
            amount=amount,
            properties=properties,
        )

        return people_track_charge_request
