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


@dataclass(frozen=True, slots=True)
class LostWrite:
    """A profile, group or upsert write Trodo did not receive, as it was called."""

    operation: str
    """e.g. "people.set", "groups.profile.union", "users.upsert"."""
    distinct_id: str
    arguments: dict[str, Any]
    """Its checked arguments by name, e.g. ``{"properties": {"plan": "pro"}}``."""


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
        writes: tuple[LostWrite, ...] = (),
    ) -> None:
        self.reason = reason
        """Why: gave_up, rejected, too_large, unauthorized, queue_full or shutdown."""
        self.operation = operation
        """What failed: "track", "register_session", "identify", "reset", "wallet_address",
        or a profile write ("people.set", "groups.add_group", "users.upsert", ...)."""
        self.detail = detail
        """The last answer or fault, e.g. "HTTP 503" or "ConnectTimeout"."""
        self.events = events
        """The events given up (empty for identify, reset and wallet address)."""
        self.writes = writes
        """The profile, group or upsert writes given up (empty for the others)."""
        self.count = len(events) + len(writes) if count is None else count
        """How many events or writes were given up (queue_full counts without keeping them)."""
        super().__init__(self._message())

    def _message(self) -> str:
        what = f"{self.count} event(s)" if self.count and not self.writes else self.operation
        return f"trodo could not deliver {what}: {self.reason} ({self.detail})"


ErrorCallback = Callable[[DeliveryError], None]


class TrodoWarning(UserWarning):
    """Issued (through :mod:`warnings`, so it shows without any logging setup) when
    Trodo refuses the site id, once per episode, when the HTTP client cannot be
    set up from its options or the environment (a broken proxy or CA bundle), and
    once per process when an option of trodo-python asks for its LLM tracing.

    Silence it like any warning::

        warnings.filterwarnings("ignore", category=trodo.TrodoWarning)
    """


@dataclass(frozen=True, slots=True)
class Stats:
    """Delivery counters of one client, from :meth:`TrodoClient.stats`.

    A profile, group or upsert write counts as one, beside the events.
    """

    sent: int = 0
    """Events Trodo accepted."""
    queued: int = 0
    """Events waiting to be sent."""
    in_flight: int = 0
    """Events in a request under way or waiting for its retry."""
    retried: int = 0
    """Requests sent again after a transient failure."""
    requests: int = 0
    """Requests sent (events single or bulk, profile writes), retries included."""
    dropped: dict[str, int] = field(default_factory=dict)
    """Events given up, by reason: plain str keys ("gave_up", "rejected", ...), only
    reasons that happened, the same in both modes."""
    disabled: int = 0
    """Events a disabled client (``disabled=True``) accepted: checked, counted, never sent."""

    @property
    def dropped_total(self) -> int:
        """All events given up, whatever the reason."""
        return sum(self.dropped.values())
