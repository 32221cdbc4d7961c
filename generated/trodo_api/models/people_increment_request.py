from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PeopleIncrementRequest")


@_attrs_define
class PeopleIncrementRequest:
    """Adds ``amount`` to a numeric profile property."""

    site_id: str
    user_id: str
    key: str
    amount: float
    """ How much to add (negative to subtract); the SDKs default it to 1. """

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        user_id = self.user_id

        key = self.key

        amount = self.amount

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "userId": user_id,
                "key": key,
                "amount": amount,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        site_id = d.pop("siteId")

        user_id = d.pop("userId")

        key = d.pop("key")

        amount = d.pop("amount")

        people_increment_request = cls(
            site_id=site_id,
            user_id=user_id,
            key=key,
            amount=amount,
        )

        return people_increment_request
