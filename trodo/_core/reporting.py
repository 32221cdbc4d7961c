"""Where failures go: the ``trodo`` logger and the user's ``on_error``, never a raise."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Sequence

from trodo._core.answers import DROP_REASONS, Answer, DropReason
from trodo._core.config import mask
from trodo._core.errors import DeliveryError, ErrorCallback, LostEvent
from trodo._core.records import EventRecord

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


class Reporter:
    """Counts what was given up, logs it, and tells ``on_error``."""

    def __init__(self, site_id: str, on_error: ErrorCallback | None) -> None:
        self._site = mask(site_id)
        self._on_error = on_error
        self._lock = threading.Lock()
        self._dropped: Counter[str] = Counter()
        self._unauthorized_said = False

    def after_fork_in_child(self) -> None:
        """A fork may have copied the lock while another thread held it.

        The child counts what it gives up itself, not what its parent did.
        """
        self._lock = threading.Lock()
        self._dropped = Counter()

    def dropped(self) -> dict[str, int]:
        """Events given up so far, by reason."""
        with self._lock:
            return dict(self._dropped)

    def events_failed(
        self, reason: DropReason, detail: str, records: Sequence[EventRecord], count: int = 0
    ) -> None:
        """Report events given up (``count`` when the records were not kept)."""
        self.report(DeliveryError(reason, "track", detail, lost(records), count or len(records)))

    def answer_failed(self, operation: str, answer: Answer) -> None:
        """Report a request (identify, reset, ...) that failed for good."""
        self.report(DeliveryError(DROP_REASONS[answer.outcome], operation, answer.detail, count=0))

    def report(self, error: DeliveryError) -> None:
        """Count, log and pass on one failure."""
        with self._lock:
            self._dropped[error.reason] += error.count
            loud = error.reason is DropReason.UNAUTHORIZED and not self._unauthorized_said
            if loud:
                self._unauthorized_said = True
        if loud:
            logger.error(
                "Trodo does not accept site id %s (%s): check TrodoClient(site_id=...) "
                "or TRODO_SITE_ID. Events are dropped until it is fixed.",
                self._site,
                error.detail,
            )
        else:
            logger.warning("%s", error)
        if self._on_error is not None:
            try:
                self._on_error(error)
            except Exception:  # the user's callback must not break delivery either
                logger.exception("trodo: the on_error callback raised")
