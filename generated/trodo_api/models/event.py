from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..models.event_event_type import EventEventType, check_event_event_type
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.custom_properties import CustomProperties


T = TypeVar("T", bound="Event")


@_attrs_define
class Event:
    """One event. All ten keys are always sent; timestamp is optional."""

    event_type: EventEventType
    """ "custom" for track; "auto" for captured errors. """
    event_name: str
    """ The event's name. """
    event_category: str
    """ "custom" by default; "error" for captured errors. """
    session_id: str
    """ The session's id. """
    user_id: str
    """ The current distinct id. """
    custom_properties: CustomProperties
    """ The caller's JSON-serialisable properties; {} when none. """
    page_data: None
    """ Always null for server events. """
    auto_event_data: None
    """ Always null for server events. """
    element_data: None
    """ Always null for server events. """
    override_data: None
    """ Always null for server events. """
    timestamp: datetime.datetime | Unset = UNSET
    """ When the event happened, ISO 8601 UTC. """

    def to_dict(self) -> dict[str, Any]:
        event_type: str = self.event_type

        event_name = self.event_name

        event_category = self.event_category

        session_id = self.session_id

        user_id = self.user_id

        custom_properties = self.custom_properties.to_dict()

        page_data = self.page_data

        auto_event_data = self.auto_event_data

        element_data = self.element_data

        override_data = self.override_data

        timestamp: str | Unset = UNSET
        if not isinstance(self.timestamp, Unset):
            timestamp = self.timestamp.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "event_type": event_type,
                "event_name": event_name,
                "event_category": event_category,
                "session_id": session_id,
                "user_id": user_id,
                "custom_properties": custom_properties,
                "page_data": page_data,
                "auto_event_data": auto_event_data,
                "element_data": element_data,
                "override_data": override_data,
            }
        )
        if timestamp is not UNSET:
            field_dict["timestamp"] = timestamp

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.custom_properties import CustomProperties  # noqa: PLC0415

        d = dict(src_dict)
        event_type = check_event_event_type(d.pop("event_type"))

        event_name = d.pop("event_name")

        event_category = d.pop("event_category")

        session_id = d.pop("session_id")

        user_id = d.pop("user_id")

        custom_properties = CustomProperties.from_dict(d.pop("custom_properties"))

        page_data = d.pop("page_data")

        auto_event_data = d.pop("auto_event_data")

        element_data = d.pop("element_data")

        override_data = d.pop("override_data")

        _timestamp = d.pop("timestamp", UNSET)
        timestamp: datetime.datetime | Unset
        if isinstance(_timestamp, Unset):
            timestamp = UNSET
        else:
            timestamp = datetime.datetime.fromisoformat(_timestamp)

        event = cls(
            event_type=event_type,
            event_name=event_name,
            event_category=event_category,
            session_id=session_id,
            user_id=user_id,
            custom_properties=custom_properties,
            page_data=page_data,
            auto_event_data=auto_event_data,
            element_data=element_data,
            override_data=override_data,
            timestamp=timestamp,
        )

        return event
