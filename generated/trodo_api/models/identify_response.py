from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="IdentifyResponse")


@_attrs_define
class IdentifyResponse:
    """The identify acknowledgement, with the merged distinct id when there was a merge."""

    success: bool | Unset = UNSET
    new_distinct_id: None | str | Unset = UNSET
    """ The merged distinct id, when the identity was merged. """
    distinct_id: None | str | Unset = UNSET
    """ The merged distinct id as older servers name it. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        new_distinct_id: None | str | Unset
        if isinstance(self.new_distinct_id, Unset):
            new_distinct_id = UNSET
        else:
            new_distinct_id = self.new_distinct_id

        distinct_id: None | str | Unset
        if isinstance(self.distinct_id, Unset):
            distinct_id = UNSET
        else:
            distinct_id = self.distinct_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if success is not UNSET:
            field_dict["success"] = success
        if new_distinct_id is not UNSET:
            field_dict["newDistinctId"] = new_distinct_id
        if distinct_id is not UNSET:
            field_dict["distinctId"] = distinct_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        success = d.pop("success", UNSET)

        def _parse_new_distinct_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        new_distinct_id = _parse_new_distinct_id(d.pop("newDistinctId", UNSET))

        def _parse_distinct_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        distinct_id = _parse_distinct_id(d.pop("distinctId", UNSET))

        identify_response = cls(
            success=success,
            new_distinct_id=new_distinct_id,
            distinct_id=distinct_id,
        )

        identify_response.additional_properties = d
        return identify_response

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
