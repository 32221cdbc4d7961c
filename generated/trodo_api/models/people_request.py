from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PeopleRequest")


@_attrs_define
class PeopleRequest:
    """Names a user's profile (clear_charges, delete_user)."""

    site_id: str
    user_id: str
    """ The user's current distinct id. """

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        user_id = self.user_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "userId": user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        site_id = d.pop("siteId")

        user_id = d.pop("userId")

        people_request = cls(
            site_id=site_id,
            user_id=user_id,
        )

        return people_request
