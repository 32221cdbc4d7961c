from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.server_error_properties_severity import (
    ServerErrorPropertiesSeverity,
    check_server_error_properties_severity,
)

T = TypeVar("T", bound="ServerErrorProperties")


@_attrs_define
class ServerErrorProperties:
    """The custom_properties of a `server_error` event, all six always present."""

    error_type: str
    """ The exception's class name. """
    message: str
    """ str() of the exception (may be empty). """
    stack: str
    """ The formatted traceback. """
    runtime: str
    """ "python" from this SDK. """
    severity: ServerErrorPropertiesSeverity
    timestamp: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        error_type = self.error_type

        message = self.message

        stack = self.stack

        runtime = self.runtime

        severity: str = self.severity

        timestamp = self.timestamp.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "error_type": error_type,
                "message": message,
                "stack": stack,
                "runtime": runtime,
                "severity": severity,
                "timestamp": timestamp,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        error_type = d.pop("error_type")

        message = d.pop("message")

        stack = d.pop("stack")

        runtime = d.pop("runtime")

        severity = check_server_error_properties_severity(d.pop("severity"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        server_error_properties = cls(
            error_type=error_type,
            message=message,
            stack=stack,
            runtime=runtime,
            severity=severity,
            timestamp=timestamp,
        )

        server_error_properties.additional_properties = d
        return server_error_properties

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
