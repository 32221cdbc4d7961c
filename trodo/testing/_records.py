"""What the mock server records: requests, violations, and typed views of their bodies.

This module needs nothing from the ``testing`` extra, so the pytest plugin can
name these types without importing the server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, cast

# The endpoint paths, named once for the views below and the fault scripts.
SESSION_PATH = "/api/sdk/track"
EVENT_PATH = "/api/events"
BULK_PATH = "/api/events/bulk"
IDENTIFY_PATH = "/api/sdk/identify"
RESET_PATH = "/api/sdk/reset"
WALLET_PATH = "/api/sdk/wallet-address"
# Profile, group and upsert writes: every path under these (protocol.md).
PROFILE_PREFIXES = ("/api/sdk/people/", "/api/sdk/groups/", "/api/sdk/users/")
_API_PREFIX = "/api/sdk/"


def profile_operation(path: str) -> str | None:
    """The operation a profile-write path names, e.g. ``"people.set"``, else ``None``.

    The name is the path after ``/api/sdk/`` with dots for slashes:
    ``people.set``, ``groups.set_group``, ``groups.profile.union``, ``users.upsert``.
    """
    if not path.startswith(PROFILE_PREFIXES):
        return None
    return path[len(_API_PREFIX) :].replace("/", ".")


class Event(TypedDict):
    """One event as the server received it (the wire keys of protocol.md)."""

    event_type: str
    event_name: str
    event_category: str
    session_id: str
    user_id: str
    custom_properties: dict[str, Any]
    page_data: None
    auto_event_data: None
    element_data: None
    override_data: None
    timestamp: NotRequired[str]


class SessionData(TypedDict):
    """The ``sessionData`` of one session registration (POST /api/sdk/track)."""

    session_id: str
    site_id: str
    user_id: str
    distinct_id: str
    team_id: None
    start_time: str
    last_activity: int
    is_bounce: bool
    referrer: str
    device_type: str
    is_server_session: bool


# The identity bodies are camelCase on the wire, and these are their wire keys.


class ResetCall(TypedDict):
    """The body of one reset call (POST /api/sdk/reset)."""

    siteId: str
    sessionId: str
    userId: str
    distinctId: str


class IdentifyCall(ResetCall):
    """The body of one identify call (POST /api/sdk/identify)."""

    identifyId: str


class WalletAddressCall(ResetCall):
    """The body of one wallet-address call (POST /api/sdk/wallet-address)."""

    walletAddress: str


@dataclass(frozen=True)
class ProfileUpdate:
    """One accepted profile, group or upsert write: the operation and its wire body.

    ``operation`` is the path after ``/api/sdk/`` with dots for slashes:
    ``"people.set"``, ``"people.unset"``, ``"groups.add_group"``,
    ``"groups.profile.increment"``, ``"users.upsert"``. ``body`` is the JSON
    body as sent (camelCase keys, protocol.md).

    Example::

        assert server.profile_updates == [
            ProfileUpdate("people.set", {"siteId": "test-site", "userId": "user_42",
                                         "properties": {"plan": "pro"}}),
        ]
    """

    operation: str
    body: dict[str, Any]

    @property
    def user_id(self) -> str:
        """The user written to: ``userId``, or ``distinctId`` for ``users.upsert``."""
        return str(self.body.get("userId", self.body.get("distinctId")))


@dataclass(frozen=True)
class RecordedRequest:
    """One request the mock server received, and what it did with it.

    ``accepted`` is true when the server took the request in: a valid request
    answered 2xx, or one accepted before its connection was dropped. ``status``
    is ``None`` when the connection was dropped without an answer. ``fault``
    says why the answer was not the normal one (a scripted fault, an outage, an
    unknown site id, a responder); ``violation`` says why the request breaks the
    spec.

    Example::

        request = server.requests[-1]
        assert (request.path, request.status, request.accepted) == ("/api/events", 200, True)
    """

    index: int
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    json: Any
    status: int | None
    accepted: bool
    fault: str | None
    violation: str | None
    received_at: float

    @property
    def site_id(self) -> str | None:
        """The ``X-Trodo-Site-Id`` header, or ``None`` when it was missing."""
        for name, value in self.headers.items():
            if name.lower() == "x-trodo-site-id":
                return value
        return None

    @property
    def valid(self) -> bool:
        """Whether the request follows the spec."""
        return self.violation is None

    @property
    def events(self) -> list[Event]:
        """The events the request carried (valid event requests only), in body order."""
        if not self.valid:
            return []
        if self.path == EVENT_PATH:
            return [cast(Event, self.json)]
        if self.path == BULK_PATH:
            return cast(list[Event], self.json["events"])
        return []

    @property
    def profile_update(self) -> ProfileUpdate | None:
        """The profile, group or upsert write the request carried (valid ones only)."""
        operation = profile_operation(self.path)
        if operation is None or not self.valid:
            return None
        return ProfileUpdate(operation, cast(dict[str, Any], self.json))

    def describe(self) -> str:
        """A one-line summary: method, path, answer and why."""
        answer = "no answer (connection dropped)" if self.status is None else str(self.status)
        why = f" [{self.fault}]" if self.fault else ""
        return f"#{self.index} {self.method} {self.path} -> {answer}{why}"


@dataclass(frozen=True)
class Violation:
    """A request that broke the spec, the answer it got, and why.

    ``str(violation)`` is a one-line report, e.g.
    ``#3 POST /api/events -> 400: body: 'event_name' is a required property``.
    """

    request_index: int
    method: str
    path: str
    status: int
    message: str
    body: bytes

    def __str__(self) -> str:
        return f"#{self.request_index} {self.method} {self.path} -> {self.status}: {self.message}"

    def body_excerpt(self, limit: int = 500) -> str:
        """The request body as text, cut to ``limit`` characters."""
        text = self.body.decode("utf-8", errors="replace")
        return text if len(text) <= limit else text[:limit] + "..."


def compact_json(value: Any) -> str:
    """``value`` as one line of JSON (for reports and the dev server's output)."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
