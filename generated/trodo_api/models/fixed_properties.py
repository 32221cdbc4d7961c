from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="FixedProperties")


@_attrs_define
class FixedProperties:
    """Real profile columns. Only these four are written; any other key comes
    back in the answer's `skipped`.

    """

    first_location_country: str | Unset = UNSET
    last_location_country: str | Unset = UNSET
    first_location_city: str | Unset = UNSET
    last_location_city: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        first_location_country = self.first_location_country

        last_location_country = self.last_location_country

        first_location_city = self.first_location_city

        last_location_city = self.last_location_city

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if first_location_country is not UNSET:
            field_dict["first_location_country"] = first_location_country
        if last_location_country is not UNSET:
            field_dict["last_location_country"] = last_location_country
        if first_location_city is not UNSET:
            field_dict["first_location_city"] = first_location_city
        if last_location_city is not UNSET:
            field_dict["last_location_city"] = last_location_city

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        first_location_country = d.pop("first_location_country", UNSET)

        last_location_country = d.pop("last_location_country", UNSET)

        first_location_city = d.pop("first_location_city", UNSET)

        last_location_city = d.pop("last_location_city", UNSET)

        fixed_properties = cls(
            first_location_country=first_location_country,
            last_location_country=last_location_country,
            first_location_city=first_location_city,
            last_location_city=last_location_city,
        )

        fixed_properties.additional_properties = d
        return fixed_properties

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
