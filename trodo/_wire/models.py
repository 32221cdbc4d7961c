"""Records in, generated models out: the bodies of registrations and events.

The hot path (every event passes here), so the builders write the models
directly; the identity operations' bodies are their entries in
``trodo._wire.operations``.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Generator, Iterable
from typing import Any, TypeVar, overload

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


# Events encoded per slice: under 1 ms of work. Each slice ends in a GIL or loop
# hand-over; at 32 events the hand-overs cost a tenth of the delivered rate
# (bench a.), at 128 no measurable part, and a track() still waits well under 5 ms.
ENCODE_SLICE = 128


class _EncodedEvent(Event):
    """An event model whose wire dict was made ahead, by the generated ``to_dict``."""

    __slots__ = ("_wire",)
    _wire: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self._wire


def bulk_model_in_slices(records: list[EventRecord]) -> Generator[None, None, BulkEvents]:
    """`bulk_model`, a slice of ``ENCODE_SLICE`` events at a time: it yields after
    each slice, and its driver lets others run there (the event loop, or the
    application's threads, which would otherwise wait for the GIL for the whole
    of a 500-event request). The request's own ``to_dict`` then only collects
    the results; what is left in one step is the JSON encoding (orjson)."""
    events: list[Event] = []
    for start in range(0, len(records), ENCODE_SLICE):
        for record in records[start : start + ENCODE_SLICE]:
            event = event_model(record, _EncodedEvent)
            event._wire = Event.to_dict(event)
            events.append(event)
        yield
    return BulkEvents(events=events)
