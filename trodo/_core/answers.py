"""The answer vocabulary: how a request ended, and why events were given up.

Every layer speaks it: the transports classify each request as an `Answer`,
the delivery policy and the senders act on its `Outcome`, and what is given
up is reported with a `DropReason` (public as :class:`trodo.DropReason`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ALREADY_DONE", "DROP_REASONS", "Answer", "DropReason", "Outcome"]


class DropReason(StrEnum):
    """Why events were given up. Passed to ``on_error`` and counted in ``stats()``.

    - ``queue_full``: the in-memory queue was full when the event was tracked.
    - ``gave_up``: the server kept failing for longer than the retry budget.
    - ``too_large``: the server refused the event alone as too large (413).
    - ``rejected``: the server refused the event alone as malformed (400/422).
    - ``unauthorized``: the server refused the site id (401/403).
    - ``shutdown``: tracked after shutdown, or still unsent when shutdown's
      time ran out.
    """

    QUEUE_FULL = "queue_full"
    GAVE_UP = "gave_up"
    TOO_LARGE = "too_large"
    REJECTED = "rejected"
    UNAUTHORIZED = "unauthorized"
    SHUTDOWN = "shutdown"


class Outcome(StrEnum):
    """How the transport classifies the answer to one request."""

    OK = "ok"  # 2xx
    RETRY = "retry"  # 5xx, 408, 429, timeouts, refused or reset connections
    TOO_LARGE = "too_large"  # 413
    REJECTED = "rejected"  # 400, 422
    UNAUTHORIZED = "unauthorized"  # 401, 403


@dataclass(frozen=True, slots=True)
class Answer:
    """The transport's verdict on one request.

    ``retry_after`` is the Retry-After header in seconds, when there was one;
    ``detail`` says what happened in words (status line, exception), for logs.
    """

    outcome: Outcome
    retry_after: float | None = None
    detail: str = ""


DROP_REASONS = {
    Outcome.RETRY: DropReason.GAVE_UP,
    Outcome.TOO_LARGE: DropReason.TOO_LARGE,
    Outcome.REJECTED: DropReason.REJECTED,
    Outcome.UNAUTHORIZED: DropReason.UNAUTHORIZED,
}
"""What a final failed outcome is reported as."""

ALREADY_DONE = Answer(Outcome.OK)
"""The answer of a request that was not needed (a session already registered)."""
