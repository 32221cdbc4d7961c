from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="SessionData")


@_attrs_define
class SessionData:
    """A synthetic server session, exactly these 11 keys."""

    session_id: str
    """ The session's id (a UUID unless the browser's session id was passed). """
    site_id: str
    """ The site id (also sent in the header). """
    user_id: str
    """ The distinct id. """
    distinct_id: str
    """ The distinct id (the same value as user_id). """
    team_id: None
    """ Always null. """
    start_time: datetime.datetime
    """ When the session started, ISO 8601 UTC with offset. """
    last_activity: int
    """ Last activity, epoch milliseconds. """
    is_bounce: bool
    """ Always false. """
    referrer: Literal["server"]
    """ Always "server". """
    device_type: Literal["server"]
    """ Always "server". """
    is_server_session: bool
    """ Always true. """

    def to_dict(self) -> dict[str, Any]:
        session_id = self.session_id

        site_id = self.site_id

        user_id = self.user_id

        distinct_id = self.distinct_id

        team_id = self.team_id

        start_time = self.start_time.isoformat()

        last_activity = self.last_activity

        is_bounce = self.is_bounce

        referrer = self.referrer

        device_type = self.device_type

        is_server_session = self.is_server_session

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "session_id": session_id,
                "site_id": site_id,
                "user_id": user_id,
                "distinct_id": distinct_id,
                "team_id": team_id,
                "start_time": start_time,
                "last_activity": last_activity,
                "is_bounce": is_bounce,
                "referrer": referrer,
                "device_type": device_type,
                "is_server_session": is_server_session,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        session_id = d.pop("session_id")

        site_id = d.pop("site_id")

        user_id = d.pop("user_id")

        distinct_id = d.pop("distinct_id")

        team_id = d.pop("team_id")

        start_time = datetime.datetime.fromisoformat(d.pop("start_time"))

        last_activity = d.pop("last_activity")

        is_bounce = d.pop("is_bounce")

        referrer = cast(Literal["server"], d.pop("referrer"))
        if referrer != "server":
            raise ValueError(f"referrer must match const 'server', got '{referrer}'")

        device_type = cast(Literal["server"], d.pop("device_type"))
        if device_type != "server":
            raise ValueError(f"device_type must match const 'server', got '{device_type}'")

        is_server_session = d.pop("is_server_session")

        session_data = cls(
            session_id=session_id,
            site_id=site_id,
            user_id=user_id,
            distinct_id=distinct_id,
            team_id=team_id,
            start_time=start_time,
            last_activity=last_activity,
            is_bounce=is_bounce,
            referrer=referrer,
            device_type=device_type,
            is_server_session=is_server_session,
        )

        return session_data
