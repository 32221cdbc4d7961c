"""Delivery policy (provisional core: the full sans-IO policy lands from the policy branch)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Outcome(enum.Enum):
    OK = "ok"
    RETRY = "retry"
    TOO_LARGE = "too_large"
    REJECTED = "rejected"
    UNAUTHORIZED = "unauthorized"


class DropReason(enum.StrEnum):
    QUEUE_FULL = "queue_full"
    GAVE_UP = "gave_up"
    TOO_LARGE = "too_large"
    REJECTED = "rejected"
    UNAUTHORIZED = "unauthorized"
    SHUTDOWN = "shutdown"


@dataclass(frozen=True, slots=True)
class Answer:
    outcome: Outcome
    retry_after: float | None = None
    detail: str = ""


def backoff_delay(
    attempt: int,
    jitter: float,
    *,
    base: float = 0.5,
    cap: float = 30.0,
    retry_after: float | None = None,
) -> float:
    delay = jitter * min(cap, base * (2 ** (attempt - 1)))
    return max(delay, min(retry_after, 60.0)) if retry_after is not None else delay
