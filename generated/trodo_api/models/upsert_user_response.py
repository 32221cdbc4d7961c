from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.upsert_applied import UpsertApplied
    from ..models.upsert_skipped import UpsertSkipped


T = TypeVar("T", bound="UpsertUserResponse")


@_attrs_define
class UpsertUserResponse:
    """What the upsert wrote and refused; unknown fields are kept, never rejected."""

    success: bool | Unset = UNSET
    distinct_id: str | Unset = UNSET
    created: bool | Unset = UNSET
    """ Whether the user did not exist before this call. """
    applied: UpsertApplied | Unset = UNSET
    """ Per bag, the keys written. """
    skipped: UpsertSkipped | Unset = UNSET
    """ Per bag, the keys refused, each with its reason (e.g.
    `{"fixedProperties": {"browser": "BROWSER_ONLY_PROPERTY"}}`).
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        distinct_id = self.distinct_id

        created = self.created

        applied: dict[str, Any] | Unset = UNSET
        if not isinstance(self.applied, Unset):
            applied = self.applied.to_dict()

        skipped: dict[str, Any] | Unset = UNSET
        if not isinstance(self.skipped, Unset):
            skipped = self.skipped.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if success is not UNSET:
            field_dict["success"] = success
        if distinct_id is not UNSET:
            field_dict["distinctId"] = distinct_id
        if created is not UNSET:
            field_dict["created"] = created
        if applied is not UNSET:
            field_dict["applied"] = applied
        if skipped is not UNSET:
            field_dict["skipped"] = skipped

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.upsert_applied import UpsertApplied  # noqa: PLC0415
        from ..models.upsert_skipped import UpsertSkipped  # noqa: PLC0415

        d = dict(src_dict)
        success = d.pop("success", UNSET)

        distinct_id = d.pop("distinctId", UNSET)

        created = d.pop("created", UNSET)

        _applied = d.pop("applied", UNSET)
        applied: UpsertApplied | Unset
        if isinstance(_applied, Unset):
            applied = UNSET
        else:
            applied = UpsertApplied.from_dict(_applied)

        _skipped = d.pop("skipped", UNSET)
        skipped: UpsertSkipped | Unset
        if isinstance(_skipped, Unset):
            skipped = UNSET
        else:
            skipped = UpsertSkipped.from_dict(_skipped)

        upsert_user_response = cls(
            success=success,
            distinct_id=distinct_id,
            created=created,
            applied=applied,
            skipped=skipped,
        )

        upsert_user_response.additional_properties = d
        return upsert_user_response

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
