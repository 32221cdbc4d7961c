"""What a profile, group or upsert write returns to its caller.

The vendor's SDK returns the server's JSON (``{}`` when it failed). Here a
write says what happened as far as the call can know: with batching off it
was sent (Trodo accepted it) or dropped (and reported to ``on_error``); with
batching on it was queued (its fate goes to ``on_error`` if it fails, and
``flush()`` waits for it) or, queue full or client shut down, dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from trodo._core.answers import DropReason
from trodo._core.writes import WriteRecord

__all__ = [
    "UpsertResponse",
    "UpsertResult",
    "WriteOutcome",
    "WriteResult",
    "WriteStatus",
    "upsert_result",
    "write_result",
]


class WriteStatus(StrEnum):
    """Where a write stands when its call returns.

    - ``sent``: Trodo accepted it (batching off).
    - ``queued``: waiting for the background sender (batching on); if it is
      given up later, ``on_error`` hears of it and ``flush()`` returns False.
    - ``dropped``: given up (``WriteResult.reason`` says why) and reported to
      ``on_error``.
    - ``disabled``: the client is disabled (``disabled=True``): checked, not sent.
    """

    SENT = "sent"
    QUEUED = "queued"
    DROPPED = "dropped"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a profile or group write did, e.g. ``user.people.set(...)``.

    Example::

        result = user.people.set({"plan": "pro"})
        if result.status == "dropped":
            log.warning("profile not updated: %s", result.reason)
    """

    operation: str
    """The write, e.g. "people.set", "groups.add_group", "groups.profile.set"."""
    distinct_id: str
    """The user it was written for (the merged id after an identify merge)."""
    status: WriteStatus
    """"sent", "queued", "dropped" or (a disabled client) "disabled"."""
    reason: DropReason | None = None
    """Why it was dropped (None unless ``status`` is "dropped")."""

    @property
    def ok(self) -> bool:
        """Not dropped: sent, queued for sending, or checked by a disabled client."""
        return self.status is not WriteStatus.DROPPED


@dataclass(frozen=True, slots=True)
class UpsertResponse:
    """Trodo's answer to an upsert (POST /api/sdk/users/upsert), typed.

    A field the answer did not carry (or carried as another type) is None or
    empty; ``body`` is the whole answer as received, unknown fields included
    (what the vendor's SDK returns).
    """

    success: bool | None
    distinct_id: str | None
    created: bool | None
    """Whether the user did not exist before this call."""
    applied: Mapping[str, list[str]] = field(default_factory=dict)
    """Per bag ("properties", "setOnce", "fixedProperties"), the keys written."""
    skipped: Mapping[str, Any] = field(default_factory=dict)
    """Per bag, the keys refused, each with its reason (e.g. BROWSER_ONLY_PROPERTY)."""
    body: Mapping[str, Any] = field(default_factory=dict)
    """The answer's JSON object as it came."""


@dataclass(frozen=True, slots=True)
class UpsertResult(WriteResult):
    """What ``upsert_user`` did; with batching off, Trodo's typed answer too.

    Example::

        result = client.upsert_user("user_42", properties={"plan": "pro"})
        if result.response is not None and result.response.created:
            welcome(user)
    """

    response: UpsertResponse | None = None
    """Trodo's answer when the upsert was sent on the call (batching off) and
    accepted; None when it was queued or dropped."""


WriteOutcome = tuple[WriteStatus, DropReason | None, Any]
"""What a delivery did with a write: its status, why it was dropped, what its answer carried."""


def write_result(record: WriteRecord, outcome: WriteOutcome) -> WriteResult:
    """What the caller of a profile or group write gets back."""
    status, reason, _ = outcome
    return WriteResult(record.write.name, record.distinct_id, status, reason)


def upsert_result(record: WriteRecord, outcome: WriteOutcome) -> UpsertResult:
    """What the caller of ``upsert_user`` gets back: the typed answer when it was sent."""
    status, reason, response = outcome
    return UpsertResult(record.write.name, record.distinct_id, status, reason, response)
