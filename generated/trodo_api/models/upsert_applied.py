from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="UpsertApplied")


@_attrs_define
class UpsertApplied:
    """Per bag, the keys written."""

    properties: list[str] | Unset = UNSET
    set_once: list[str] | Unset = UNSET
    fixed_properties: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        properties: list[str] | Unset = UNSET
        if not isinstance(self.properties, Unset):
            properties = self.properties

        set_once: list[str] | Unset = UNSET
        if not isinstance(self.set_once, Unset):
            set_once = self.set_once

        fixed_properties: list[str] | Unset = UNSET
        if not isinstance(self.fixed_properties, Unset):
            fixed_properties = self.fixed_properties

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if properties is not UNSET:
            field_dict["properties"] = properties
        if set_once is not UNSET:
            field_dict["setOnce"] = set_once
        if fixed_properties is not UNSET:
            field_dict["fixedProperties"] = fixed_properties

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        properties = cast(list[str], d.pop("properties", UNSET))

        set_once = cast(list[str], d.pop("setOnce", UNSET))

        fixed_properties = cast(list[str], d.pop("fixedProperties", UNSET))

        upsert_applied = cls(
            properties=properties,
            set_once=set_once,
            fixed_properties=fixed_properties,
        )

        upsert_applied.additional_properties = d
        return upsert_applied

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
