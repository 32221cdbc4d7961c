from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.fixed_properties import FixedProperties
    from ..models.profile_properties import ProfileProperties


T = TypeVar("T", bound="UpsertUserRequest")


@_attrs_define
class UpsertUserRequest:
    """Creates or updates a user. No siteId: the header names the site. A bag
    not given is left out (never null); with none the user is only ensured.

    """

    distinct_id: str
    properties: ProfileProperties | Unset = UNSET
    """ The caller's JSON-serialisable profile properties. """
    set_once: ProfileProperties | Unset = UNSET
    """ The caller's JSON-serialisable profile properties. """
    fixed_properties: FixedProperties | Unset = UNSET
    """ Real profile columns. Only these four are written; any other key comes
    back in the answer's `skipped`.
     """

    def to_dict(self) -> dict[str, Any]:
        distinct_id = self.distinct_id

        properties: dict[str, Any] | Unset = UNSET
        if not isinstance(self.properties, Unset):
            properties = self.properties.to_dict()

        set_once: dict[str, Any] | Unset = UNSET
        if not isinstance(self.set_once, Unset):
            set_once = self.set_once.to_dict()

        fixed_properties: dict[str, Any] | Unset = UNSET
        if not isinstance(self.fixed_properties, Unset):
            fixed_properties = self.fixed_properties.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "distinctId": distinct_id,
            }
        )
        if properties is not UNSET:
            field_dict["properties"] = properties
        if set_once is not UNSET:
            field_dict["setOnce"] = set_once
        if fixed_properties is not UNSET:
            field_dict["fixedProperties"] = fixed_properties

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.fixed_properties import FixedProperties  # noqa: PLC0415
        from ..models.profile_properties import ProfileProperties  # noqa: PLC0415

        d = dict(src_dict)
        distinct_id = d.pop("distinctId")

        _properties = d.pop("properties", UNSET)
        properties: ProfileProperties | Unset
        if isinstance(_properties, Unset):
            properties = UNSET
        else:
            properties = ProfileProperties.from_dict(_properties)

        _set_once = d.pop("setOnce", UNSET)
        set_once: ProfileProperties | Unset
        if isinstance(_set_once, Unset):
            set_once = UNSET
        else:
            set_once = ProfileProperties.from_dict(_set_once)

        _fixed_properties = d.pop("fixedProperties", UNSET)
        fixed_properties: FixedProperties | Unset
        if isinstance(_fixed_properties, Unset):
            fixed_properties = UNSET
        else:
            fixed_properties = FixedProperties.from_dict(_fixed_properties)

        upsert_user_request = cls(
            distinct_id=distinct_id,
            properties=properties,
            set_once=set_once,
            fixed_properties=fixed_properties,
        )

        return upsert_user_request
