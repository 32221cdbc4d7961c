"""`EventRecord`: one accepted event, already validated, as a context hands it to
delivery; and `error_properties`, the properties of a ``capture_error`` event."""

from __future__ import annotations

import datetime as _dt
import re
import traceback
from dataclasses import dataclass
from typing import Any, Final, Literal

from trodo._core.sessions import Session
from trodo._core.validation import json_size

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

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Bounds on what one captured error carries: a message or stack past them is
# cut (the stack keeps its end, where the error was raised), so an error event
# always fits a request and never costs much memory.
MAX_ERROR_MESSAGE = 8 * 1024
MAX_ERROR_STACK = 64 * 1024


def error_properties(
    error: BaseException, severity: str, now: float, max_bytes: int = 512 * 1024
) -> dict[str, Any]:
    """The custom_properties of a ``server_error`` event (protocol.md, captured errors).

    The stack comes from the exception's own traceback, so this works outside
    the ``except`` block that caught it. It never raises: an exception whose
    ``str()``, ``repr()`` or traceback formatting raises gets a fallback text,
    lone surrogates become U+FFFD, and what is too long is cut to fit
    ``max_bytes`` (with room for the rest of the event).
    """
    name = _sendable(type(error).__name__, 256, keep="start")
    message = _sendable(_message(error, name), MAX_ERROR_MESSAGE, keep="start")
    stack = _sendable(_stack(error, name), MAX_ERROR_STACK, keep="end")
    props = {
        "error_type": name,
        "message": message,
        "stack": stack,
        "runtime": "python",
        "severity": severity,
        "timestamp": _dt.datetime.fromtimestamp(now, _dt.UTC).isoformat(),
    }
    # Room for the rest of the event (names, ids, the wire's keys): cut further
    # until the event fits, however small max_bytes or however escaped the text.
    room = max_bytes - 2048
    while json_size(props) > room and len(message) + len(stack) > 128:
        if len(stack) >= len(message):
            stack = props["stack"] = _sendable(stack, len(stack) // 2, keep="end")
        else:
            message = props["message"] = _sendable(message, len(message) // 2, keep="start")
    return props


def _message(error: BaseException, name: str) -> str:
    try:
        return str(error)
    except Exception:
        pass
    try:
        return f"{error!r} (its str() raised, so this is its repr())"
    except Exception:
        return f"<{name}: its str() raised, and so did its repr(): no message could be taken>"


def _stack(error: BaseException, name: str) -> str:
    try:
        return "".join(traceback.format_exception(error))
    except Exception:
        pass
    try:  # the frames alone, when the exception itself cannot be formatted
        frames = "".join(traceback.format_tb(error.__traceback__))
        return f"Traceback (most recent call last):\n{frames}{name} (could not be formatted)\n"
    except Exception:
        return f"{name} (its traceback could not be formatted)\n"


def _sendable(text: str, limit: int, keep: str) -> str:
    if not text.isascii():
        text = _LONE_SURROGATE.sub("\ufffd", text)
    if len(text) <= limit:
        return text
    cut = f"… ({len(text) - limit:,} characters cut)\n"
    return text[:limit] + cut if keep == "start" else cut + text[-limit:]
