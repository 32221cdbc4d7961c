from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.session_data import SessionData


T = TypeVar("T", bound="SessionRegistration")


@_attrs_define
class SessionRegistration:
    """Registers a server session."""

    session_data: SessionData
    """ A synthetic server session, exactly these 11 keys. """

    def to_dict(self) -> dict[str, Any]:
        session_data = self.session_data.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "sessionData": session_data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.session_data import SessionData  # noqa: PLC0415

        d = dict(src_dict)
        session_data = SessionData.from_dict(d.pop("sessionData"))

        session_registration = cls(
            session_data=session_data,
        )

        return session_registration
