"""Records in, generated models out: the bodies of registrations and events.

The hot path (every event passes here), so the builders write the models
directly; the identity operations' bodies are their entries in
``trodo._wire.operations``.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Iterable
from typing import TypeVar, overload

from trodo._core.records import EventRecord
from trodo._core.sessions import Session
from trodo_api.models import BulkEvents, CustomProperties, Event, SessionData, SessionRegistration


def session_model(session: Session) -> SessionRegistration:
    """The registration body of a session."""
    return SessionRegistration(
        session_data=SessionData(
            session_id=session.session_id,
            site_id=session.site_id,
            user_id=session.distinct_id,
            distinct_id=session.distinct_id,
            team_id=None,
            start_time=session.start_time,
            last_activity=int(time.time() * 1000),
            is_bounce=False,
            referrer="server",
            device_type="server",
            is_server_session=True,
        )
    )


_E = TypeVar("_E", bound=Event)


@overload
def event_model(record: EventRecord) -> Event: ...
@overload
def event_model(record: EventRecord, model: type[_E]) -> _E: ...
def event_model(record: EventRecord, model: type[Event] = Event) -> Event:
    """The wire model of one accepted event (``model``: Event or a subclass of it)."""
    properties = CustomProperties()
    # The record's dict is already a private, JSON-safe copy: no second copy.
    properties.additional_properties = record.properties
    return model(
        event_type=record.event_type,
        event_name=record.event_name,
        event_category=record.category,
        session_id=record.session.session_id,
        user_id=record.distinct_id,
        custom_properties=properties,
        page_data=None,
        auto_event_data=None,
        element_data=None,
        override_data=None,
        timestamp=_dt.datetime.fromtimestamp(record.timestamp, _dt.UTC),
    )


def bulk_model(records: Iterable[EventRecord]) -> BulkEvents:
    """The wire model of a batch."""
    return BulkEvents(events=[event_model(r) for r in records])
