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
  identity call) stops after ``retries`` retries of a request or when its
  ``timeout`` would pass (`call_retry_delay`); the background sender keeps
  retrying while the server makes progress, and gives a batch up only once
  nothing at all has got through for ``retry_budget`` seconds
  (`batch_retry_at`, over a `Stall`).
* Progress, not age: any request the server accepts (a session registration,
  a bulk post, a single event) restarts the backoff sequence. On the caller's
  thread the count of tries starts again with each request of a call (the
  registration, then the event); the background sender keeps one `Stall` for
  all its requests.
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
    "Stall",
    "backoff_delay",
    "batch_retry_at",
    "call_retry_delay",
    "classify",
    "retry_after_seconds",
    "stall_delay",
]

# Full jitter over 0.1 s, 0.2 s, 0.4 s ...: an isolated 5xx (the common case under a
# flaky proxy) costs about 50 ms; a server that stays down is probed ever less often,
# at most every 30 s.
DEFAULT_BACKOFF_BASE = 0.1
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
    """Parse a Retry-After header: delta seconds or an HTTP date.

    Defensive: whatever the header holds (an absurd year, a date that overflows,
    text), the answer is a number of seconds >= 0 or None, never an exception.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds > 0 else 0.0  # NaN and negatives: no wait asked
    try:
        # Rare (most servers send seconds): the email package loads only here.
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    except Exception:  # OverflowError, ValueError, ...: a header, not our problem
        return None
    return max(0.0, seconds)


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


class Stall:
    """How long nothing has got through to the server: what the background
    sender's retries run on (one for all its requests, whichever batch)."""

    __slots__ = ("failures", "since")

    def __init__(self) -> None:
        self.failures = 0  # transient failures since the last accepted request
        self.since: float | None = None  # the first of them

    def progress(self) -> None:
        """The server accepted a request: the backoff sequence starts again."""
        self.failures = 0
        self.since = None

    def failed(self, now: float) -> None:
        """A request failed transiently at ``now``."""
        self.failures += 1
        if self.since is None:
            self.since = now

    def __repr__(self) -> str:
        return f"Stall(failures={self.failures}, since={self.since})"


def batch_retry_at(
    settings: RetrySettings, stall: Stall, now: float, retry_after: float | None, jitter: float
) -> float | None:
    """When a batch whose request failed transiently at ``now`` (already counted
    in ``stall``) is sent again, or None: give it up.

    The budget measures lack of progress: ``retry_budget`` seconds from the
    first failure since the server last accepted anything. A jittered delay
    that would land past that deadline is shortened to it, so the last attempt
    happens at the budget's end; a failure at or after the deadline, or a
    Retry-After that points past it, gives the batch up. Nothing retries for
    ever, and nothing is given up while other requests get through.
    """
    since = now if stall.since is None else stall.since
    deadline = since + settings.retry_budget
    floor = 0.0
    if retry_after is not None and retry_after > 0:
        floor = min(retry_after, settings.max_retry_after)
    if now >= deadline or now + floor > deadline:
        return None
    return min(now + stall_delay(settings, stall, retry_after, jitter), deadline)


def stall_delay(
    settings: RetrySettings, stall: Stall, retry_after: float | None, jitter: float
) -> float:
    """The backoff of the next request after ``stall.failures`` failures in a row
    (also after a batch was given up: a server that stays down is not hammered
    with one request per queued batch)."""
    return backoff_delay(
        max(1, stall.failures),
        jitter,
        base=settings.backoff_base,
        cap=settings.backoff_cap,
        retry_after=retry_after,
        max_retry_after=settings.max_retry_after,
    )
