"""The retry rules, all of them: what is retried, how long we wait, when we give up.

No I/O, no clock and no randomness of its own (callers pass ``now`` and a
``jitter`` draw), so every rule is tested with plain numbers:

* What is retried: `classify` maps an HTTP status to an `Outcome`; only
  ``RETRY`` (5xx, 408, 429, and network faults, see the transports'
  ``classify_error``) is tried again. A Retry-After header is parsed by
  `retry_after_seconds`.
* How long we wait: `backoff_delay`, exponential backoff with full jitter,
  never shorter than the server's Retry-After (itself capped).
* When we give up: a call on the caller's thread or task (batching off, or an
  identity call) stops after ``retries`` retries or when its ``timeout``
  would pass (`call_retry_delay`); a batch of the background sender keeps
  retrying for ``retry_budget`` seconds from its first failure
  (`batch_retry_at`).
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Mapping
from typing import Protocol

from trodo._core.answers import Answer, Outcome

__all__ = [
    "DEFAULT_BACKOFF_BASE",
    "DEFAULT_BACKOFF_CAP",
    "DEFAULT_MAX_RETRY_AFTER",
    "RetrySettings",
    "backoff_delay",
    "batch_retry_at",
    "call_retry_delay",
    "classify",
    "retry_after_seconds",
]

DEFAULT_BACKOFF_BASE = 0.5
DEFAULT_BACKOFF_CAP = 30.0
DEFAULT_MAX_RETRY_AFTER = 60.0


def classify(status: int, headers: Mapping[str, str], body: bytes = b"") -> Answer:
    """What an HTTP status means for delivery (protocol.md, Responses)."""
    if 200 <= status < 300:
        return Answer(Outcome.OK)
    detail = f"HTTP {status}"
    text = body[:200].decode("utf-8", "replace").strip()
    if text:
        detail += f": {text}"
    if status in (408, 429) or status >= 500:
        return Answer(Outcome.RETRY, retry_after_seconds(headers.get("retry-after")), detail)
    if status == 413:
        return Answer(Outcome.TOO_LARGE, detail=detail)
    if status in (401, 403):
        return Answer(Outcome.UNAUTHORIZED, detail=detail)
    return Answer(Outcome.REJECTED, detail=detail)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse a Retry-After header: delta seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        # Rare (most servers send seconds): the email package loads only here.
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(
    attempt: int,
    jitter: float,
    *,
    base: float = DEFAULT_BACKOFF_BASE,
    cap: float = DEFAULT_BACKOFF_CAP,
    retry_after: float | None = None,
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry).

    Full jitter: ``jitter`` (a draw in [0, 1]) times ``min(cap, base * 2 **
    (attempt - 1))``. A positive ``retry_after`` is a floor on the result,
    after capping it at ``max_retry_after`` so a server cannot park the
    client for hours.

    >>> backoff_delay(3, 0.5, base=0.5, cap=30.0)
    1.0
    >>> backoff_delay(1, 0.0, retry_after=7.0)
    7.0
    """
    if attempt < 1:
        raise ValueError(f"attempt must be 1 or more, got {attempt}")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter must be in [0, 1], got {jitter}")
    # The exponent is bounded so a huge attempt count cannot overflow a float.
    delay = jitter * min(cap, base * 2.0 ** min(attempt - 1, 64))
    # `> 0` also rules out NaN.
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, max_retry_after))
    return delay


def call_retry_delay(
    answer: Answer, tries: int, retries: int, jitter: float, remaining: float
) -> float | None:
    """A call on the caller's thread or task, after try number ``tries`` got
    ``answer``: seconds to wait before trying again, or None to stop with
    this answer. It stops unless the answer is transient, after ``retries``
    retries, and when the wait would use up the ``remaining`` seconds of
    the call's timeout."""
    if answer.outcome is not Outcome.RETRY or tries > retries:
        return None
    delay = backoff_delay(tries, jitter, retry_after=answer.retry_after)
    return None if delay >= remaining else delay


class RetrySettings(Protocol):
    """The background sender's retry settings (``PolicyConfig`` has them)."""

    @property
    def backoff_base(self) -> float: ...
    @property
    def backoff_cap(self) -> float: ...
    @property
    def max_retry_after(self) -> float: ...
    @property
    def retry_budget(self) -> float: ...


def batch_retry_at(
    settings: RetrySettings,
    failed_attempts: int,
    first_failure: float,
    now: float,
    retry_after: float | None,
    jitter: float,
) -> float | None:
    """When a batch that failed transiently at ``now`` is sent again, or None:
    give it up.

    Each batch may keep retrying for ``retry_budget`` seconds from its first
    failure. A jittered delay that would land past that deadline is
    shortened to the deadline, so the last attempt happens at the budget's
    end; a failure at or after the deadline, or a Retry-After that points
    past it, gives the batch up. Nothing retries forever.
    """
    deadline = first_failure + settings.retry_budget
    floor = 0.0
    if retry_after is not None and retry_after > 0:
        floor = min(retry_after, settings.max_retry_after)
    if now >= deadline or now + floor > deadline:
        return None
    delay = backoff_delay(
        failed_attempts,
        jitter,
        base=settings.backoff_base,
        cap=settings.backoff_cap,
        retry_after=retry_after,
        max_retry_after=settings.max_retry_after,
    )
    return min(now + delay, deadline)
