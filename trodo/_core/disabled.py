"""``disabled=True``: every call is checked as usual, nothing is ever sent.

What the sync and async disabled deliveries share: counting the events they
were handed (``Stats.disabled``), and answering operations (identify, reset,
wallet address) as accepted, with no request, no session registration, no
thread and no task. Profile writes are counted too and answer "disabled".
"""

from __future__ import annotations

import threading
from typing import Any

from trodo._core.answers import ALREADY_DONE, Answer
from trodo._core.config import Config
from trodo._core.errors import Stats
from trodo._core.operations import Call
from trodo._core.records import EventRecord
from trodo._core.write_results import WriteOutcome, WriteStatus
from trodo._core.writes import WriteRecord


def unsent_answer(call: Call) -> tuple[Answer, Any]:
    """An operation of a disabled client: accepted, nothing sent (identify merges nothing)."""
    return ALREADY_DONE, None


def refuse_when_disabled(config: Config) -> None:
    """``api_client`` of a disabled client: there is none, since it never sends."""
    if config.disabled:
        raise RuntimeError(
            "this client is disabled (disabled=True or TRODO_DISABLED): it has no API client"
        )


class DisabledDeliveryBase:
    """Counts the events a disabled client accepted; sends none of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def _accept(self, record: EventRecord | WriteRecord) -> None:
        with self._lock:
            self._count += 1

    def _accept_write(self, record: WriteRecord) -> WriteOutcome:
        """A profile write (already checked): counted like an event, never sent."""
        self._accept(record)
        return WriteStatus.DISABLED, None, None

    def after_fork_in_child(self) -> None:
        """A forked child counts its own events (the lock may have been held at the fork)."""
        self._lock = threading.Lock()
        self._count = 0

    def stats(self) -> Stats:
        """Only ``disabled`` counts: nothing was sent, queued or dropped."""
        with self._lock:
            return Stats(disabled=self._count)
