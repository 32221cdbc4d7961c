"""Where failures go: the ``trodo`` logger and the user's ``on_error``, never a raise."""

from __future__ import annotations

import logging
import threading
import warnings
from collections import Counter
from collections.abc import Sequence

from trodo._core.answers import DROP_REASONS, Answer, DropReason
from trodo._core.config import mask, redact
from trodo._core.errors import DeliveryError, ErrorCallback, LostEvent, LostWrite, TrodoWarning
from trodo._core.records import EventRecord
from trodo._core.writes import WriteRecord

logger = logging.getLogger("trodo")


def lost(records: Sequence[EventRecord]) -> tuple[LostEvent, ...]:
    """Public copies of records that were given up."""
    return tuple(
        LostEvent(
            distinct_id=r.distinct_id,
            session_id=r.session.session_id,
            event_name=r.event_name,
            category=r.category,
            properties=r.properties,
            timestamp=r.timestamp,
        )
        for r in records
    )


def say_loudly(message: str) -> None:
    """An ERROR on the ``trodo`` logger and a :class:`TrodoWarning`, which Python
    prints by default: for what an app must not miss (once per episode; the
    caller decides when an episode starts, so no warnings registry dedupes it)."""
    logger.error("%s", message)
    warnings.warn_explicit(message, TrodoWarning, __file__, 0, module="trodo", registry=None)


class Reporter:
    """Counts what was given up, logs it, and tells ``on_error``."""

    def __init__(self, site_id: str, on_error: ErrorCallback | None) -> None:
        self._site_id = site_id
        self._site = mask(site_id)
        self._on_error = on_error
        self._lock = threading.Lock()
        self._dropped: Counter[str] = Counter()
        self._unauthorized_said = False
        self._callback_said = False

    def after_fork_in_child(self) -> None:
        """A fork may have copied the lock while another thread held it.

        The child counts what it gives up itself, not what its parent did.
        """
        self._lock = threading.Lock()
        self._dropped = Counter()

    def dropped(self) -> dict[str, int]:
        """Events given up so far, by reason (plain str keys, only reasons that happened)."""
        with self._lock:
            return {str(reason): n for reason, n in self._dropped.items() if n}

    def dropped_total(self) -> int:
        """Events given up so far, whatever the reason."""
        with self._lock:
            return sum(self._dropped.values())

    def accepted(self) -> None:
        """Trodo accepted a request: an unauthorized episode, if any, is over."""
        self._unauthorized_said = False

    def events_failed(
        self, reason: DropReason, detail: str, records: Sequence[EventRecord], count: int = 0
    ) -> None:
        """Report events given up (``count`` when the records were not kept)."""
        detail = redact(detail, self._site_id)
        self.report(DeliveryError(reason, "track", detail, lost(records), count or len(records)))

    def writes_failed(
        self, reason: DropReason, detail: str, records: Sequence[WriteRecord]
    ) -> None:
        """Report profile, group or upsert writes given up: one report each, as each
        names its own operation."""
        for r in records:
            lost_write = LostWrite(r.write.name, r.distinct_id, r.arguments())
            self.report(DeliveryError(reason, r.write.name, detail, writes=(lost_write,)))

    def answer_failed(self, operation: str, answer: Answer) -> None:
        """Report a request (identify, reset, ...) that failed for good."""
        detail = redact(answer.detail, self._site_id)
        self.report(DeliveryError(DROP_REASONS[answer.outcome], operation, detail, count=0))

    def report(self, error: DeliveryError) -> None:
        """Count, log and pass on one failure."""
        with self._lock:
            self._dropped[error.reason] += error.count
            loud = error.reason is DropReason.UNAUTHORIZED and not self._unauthorized_said
            if loud:
                self._unauthorized_said = True
        if loud:
            say_loudly(
                f"Trodo does not accept site id {self._site} ({error.detail}): check "
                "TrodoClient(site_id=...) or TRODO_SITE_ID. Events are dropped until it is "
                "fixed; this is said again only after Trodo has accepted a request."
            )
        else:
            logger.warning("%s", error)
        if self._on_error is not None:
            try:
                self._on_error(error)
            except BaseException as exc:  # SystemExit, KeyboardInterrupt too: delivery goes on
                self._callback_raised(exc)

    def _callback_raised(self, exc: BaseException) -> None:
        # Said once, with the traceback; later ones only at DEBUG (a callback that
        # always raises would otherwise log once per failure).
        with self._lock:
            said, self._callback_said = self._callback_said, True
        if said:
            logger.debug("trodo: the on_error callback raised %r again", exc)
            return
        logger.error(
            "trodo: the on_error callback raised %s; trodo ignores it and delivery goes on "
            "(said once; later ones are logged at DEBUG)",
            type(exc).__name__,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
