from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="SetGroupRequest")


@_attrs_define
class SetGroupRequest:
    """The user's groups of one kind become exactly ``groupId``."""

    site_id: str
    user_id: str
    group_key: str
    """ The kind of group, e.g. "company". """
    group_id: list[str] | str
    """ One group id, or an array of them. """

    def to_dict(self) -> dict[str, Any]:
        site_id = self.site_id

        user_id = self.user_id

        group_key = self.group_key

        group_id: list[str] | str
        if isinstance(self.group_id, list):
            group_id = self.group_id

        else:
            group_id = self.group_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "siteId": site_id,
                "userId": user_id,
                "groupKey": group_key,
                "groupId": group_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        site_id = d.pop("siteId")

        user_id = d.pop("userId")

        group_key = d.pop("groupKey")

        def _parse_group_id(data: object) -> list[str] | str:
            try:
                if not isinstance(data, list):
                    raise TypeError()
                group_id_type_1 = cast(list[str], data)

                return group_id_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | str, data)

        group_id = _parse_group_id(d.pop("groupId"))

        set_group_request = cls(
            site_id=site_id,
            user_id=user_id,
            group_key=group_key,
            group_id=group_id,
        )

        return set_group_request
