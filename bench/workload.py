"""The one event shape every subject sends: N events over 1,000 users, 6 small properties.

Every event carries a unique integer ``i`` in its properties so that the sink can tell
lost and duplicated events apart from delivered ones.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

USERS = 1_000
EVENT_NAME = "purchase"
SITE_ID = "bench"
PLANS = ("free", "pro", "team", "enterprise")


def user_id(i: int) -> str:
    """The distinct id of the user who sends event ``i``."""
    return f"user-{i % USERS}"


def properties(i: int) -> dict[str, Any]:
    """The six small properties of event ``i``; ``i`` itself is the unique id."""
    return {
        "plan": PLANS[i % 4],
        "amount": (i % 97) + 0.99,
        "currency": "EUR",
        "items": i % 7 + 1,
        "trial": i % 3 == 0,
        "i": i,
    }


def now_iso() -> str:
    """An ISO 8601 UTC timestamp, as the Trodo wire format carries it."""
    return datetime.now(UTC).isoformat()


def wire_event(distinct_id: str, session_id: str, props: dict[str, Any]) -> dict[str, Any]:
    """The exact Trodo wire event (all ten keys and a timestamp) of one tracked event."""
    return {
        "event_type": "custom",
        "event_name": EVENT_NAME,
        "event_category": "custom",
        "session_id": session_id,
        "user_id": distinct_id,
        "custom_properties": props,
        "page_data": None,
        "auto_event_data": None,
        "element_data": None,
        "override_data": None,
        "timestamp": now_iso(),
    }


def session_registration(distinct_id: str, session_id: str) -> dict[str, Any]:
    """The body of POST /api/sdk/track that registers a server session."""
    now = datetime.now(UTC)
    return {
        "sessionData": {
            "session_id": session_id,
            "site_id": SITE_ID,
            "user_id": distinct_id,
            "distinct_id": distinct_id,
            "team_id": None,
            "start_time": now.isoformat(),
            "last_activity": int(now.timestamp() * 1000),
            "is_bounce": False,
            "referrer": "server",
            "device_type": "server",
            "is_server_session": True,
        }
    }


def new_session_id() -> str:
    """A fresh session id, as the SDK makes one per user."""
    return str(uuid.uuid4())
