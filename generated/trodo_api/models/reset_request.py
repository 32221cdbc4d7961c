from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ResetRequest")


@_attrs_define
class ResetRequest:
    """Forgets the user's server session."""

    site_id: str
    session_id: str
    user_id: str
    distinct_id: str

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        session_id = self.session_id

        user_id = self.user_id

        distinct_id = self.distinct_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "sessionId": session_id,
                "userId": user_id,
                "distinctId": distinct_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        site_id = d.pop("siteId")

        session_id = d.pop("sessionId")

        user_id = d.pop("userId")

        distinct_id = d.pop("distinctId")

        reset_request = cls(
            site_id=site_id,
            session_id=session_id,
            user_id=user_id,
            distinct_id=distinct_id,
        )

        return reset_request
