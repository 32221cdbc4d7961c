"""What the SDK reports when it could not deliver something."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trodo._core.answers import DropReason


@dataclass(frozen=True, slots=True)
class LostEvent:
    """An event Trodo did not receive, as it was tracked."""

    distinct_id: str
    session_id: str
    event_name: str
    category: str
    properties: dict[str, Any]
    timestamp: float
    """Epoch seconds of the call (or the caller's own timestamp)."""


class DeliveryError(Exception):
    """Passed to ``on_error`` when something could not be delivered; never raised at you.

    Example::

        def on_error(error: trodo.DeliveryError) -> None:
            metrics.increment("trodo.lost", error.count, tags={"reason": error.reason})

        trodo.init(site_id="...", on_error=on_error)
    """

    def __init__(
        self,
        reason: DropReason,
        operation: str,
        detail: str,
        events: tuple[LostEvent, ...] = (),
        count: int | None = None,
    ) -> None:
        self.reason = reason
        """Why: gave_up, rejected, too_large, unauthorized, queue_full or shutdown."""
        self.operation = operation
        """What failed: "track", "register_session", "identify", "reset" or "wallet_address"."""
        self.detail = detail
        """The last answer or fault, e.g. "HTTP 503" or "ConnectTimeout"."""
        self.events = events
        """The events given up (empty for identify, reset and wallet address)."""
        self.count = len(events) if count is None else count
        """How many events were given up (queue_full counts without keeping them)."""
        super().__init__(self._message())

    def _message(self) -> str:
        what = f"{self.count} event(s)" if self.count else self.operation
        return f"trodo could not deliver {what}: {self.reason} ({self.detail})"


ErrorCallback = Callable[[DeliveryError], None]


class TrodoWarning(UserWarning):
    """Issued (through :mod:`warnings`, so it shows without any logging setup) when
    Trodo refuses the site id, once per episode, and when the HTTP client cannot be
    set up from its options or the environment (a broken proxy or CA bundle).

    Silence it like any warning::

        warnings.filterwarnings("ignore", category=trodo.TrodoWarning)
    """


@dataclass(frozen=True, slots=True)
class Stats:
    """Delivery counters of one client, from :meth:`TrodoClient.stats`."""

    sent: int = 0
    """Events Trodo accepted."""
    queued: int = 0
    """Events waiting to be sent."""
    in_flight: int = 0
    """Events in a request under way or waiting for its retry."""
    retried: int = 0
    """Requests sent again after a transient failure."""
    requests: int = 0
    """Event requests sent (single or bulk), retries included."""
    dropped: dict[str, int] = field(default_factory=dict)
    """Events given up, by reason: plain str keys ("gave_up", "rejected", ...), only
    reasons that happened, the same in both modes."""
    disabled: int = 0
    """Events a disabled client (``disabled=True``) accepted: checked, counted, never sent."""

    @property
    def dropped_total(self) -> int:
        """All events given up, whatever the reason."""
        return sum(self.dropped.values())
