"""What the facade hands to delivery: one accepted event, already validated."""

from __future__ import annotations

import datetime as _dt
import traceback
from dataclasses import dataclass
from typing import Any, Final, Literal

from trodo._core.sessions import Session

EventType = Literal["custom", "auto"]


@dataclass(slots=True, eq=False)
class EventRecord:
    """An event as accepted at the call: validated, copied, stamped.

    ``timestamp`` is epoch seconds of the call (or the caller's own
    timestamp), so an event that waits in a batch or a retry carries the
    moment it happened, not the moment it was sent.
    """

    session: Session
    distinct_id: str
    event_type: EventType
    event_name: str
    category: str
    properties: dict[str, Any]
    timestamp: float
    size: int


ERROR_PROPERTIES: Final = frozenset(
    {"error_type", "message", "stack", "runtime", "severity", "timestamp"}
)
"""The six keys every ``server_error`` carries; ``capture_error(properties=...)`` may add others."""


def error_properties(error: BaseException, severity: str, now: float) -> dict[str, Any]:
    """The custom_properties of a ``server_error`` event (protocol.md, captured errors).

    The stack comes from the exception's own traceback, so this works outside
    the ``except`` block that caught it.
    """
    return {
        "error_type": type(error).__name__,
        "message": str(error),
        "stack": "".join(traceback.format_exception(error)),
        "runtime": "python",
        "severity": severity,
        "timestamp": _dt.datetime.fromtimestamp(now, _dt.UTC).isoformat(),
    }
