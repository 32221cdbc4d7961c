"""The recorded half of MockTrodoServer: what it received, read back and waited for.

A mixin of `MockTrodoServer` (``_server.py``): the views of the recorded requests
(``requests``, ``events``, ``profile_updates``, ...), the ``wait_for_*`` methods
and ``clear()``. The server records under ``_changed`` and notifies it; these
read under it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar, cast

from trodo.testing._live import LiveFeed
from trodo.testing._records import (
    IDENTIFY_PATH,
    RESET_PATH,
    SESSION_PATH,
    WALLET_PATH,
    Event,
    IdentifyCall,
    ProfileUpdate,
    RecordedRequest,
    ResetCall,
    SessionData,
    Violation,
    WalletAddressCall,
)

# How long wait_for_events() and wait_for_requests() wait by default: past the
# default batch_flush_interval (5 s) and its retries, so that a batched event,
# which leaves when the interval ends, arrives within the wait.
DEFAULT_WAIT = 15.0

_T = TypeVar("_T")


class RecordedViews:
    """What a `MockTrodoServer` received: every request, the violations, the errors."""

    _changed: threading.Condition
    _requests: list[RecordedRequest]
    _violations: list[Violation]
    _errors: list[str]
    _live: LiveFeed

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request in arrival order, faulted and invalid ones included."""
        with self._changed:
            return list(self._requests)

    @property
    def violations(self) -> list[Violation]:
        """The requests that broke the spec, in arrival order."""
        with self._changed:
            return list(self._violations)

    @property
    def errors(self) -> list[str]:
        """Exceptions raised while answering (e.g. in a responder), as text."""
        with self._changed:
            return list(self._errors)

    @property
    def events(self) -> list[Event]:
        """The events the server accepted, in arrival order (from /api/events and /bulk)."""
        return [event for request in self._accepted() for event in request.events]

    @property
    def faulted_events(self) -> list[Event]:
        """The valid events the server did not accept (answered non-2xx, or dropped)."""
        with self._changed:
            requests = [r for r in self._requests if r.valid and not r.accepted]
        return [event for request in requests for event in request.events]

    @property
    def sessions(self) -> list[SessionData]:
        """The ``sessionData`` of each accepted session registration."""
        return [cast(SessionData, r.json["sessionData"]) for r in self._accepted(SESSION_PATH)]

    @property
    def identifies(self) -> list[IdentifyCall]:
        """The body of each accepted identify call."""
        return [cast(IdentifyCall, r.json) for r in self._accepted(IDENTIFY_PATH)]

    @property
    def resets(self) -> list[ResetCall]:
        """The body of each accepted reset call."""
        return [cast(ResetCall, r.json) for r in self._accepted(RESET_PATH)]

    @property
    def wallet_addresses(self) -> list[WalletAddressCall]:
        """The body of each accepted wallet-address call."""
        return [cast(WalletAddressCall, r.json) for r in self._accepted(WALLET_PATH)]

    @property
    def profile_updates(self) -> list[ProfileUpdate]:
        """Each accepted profile, group and upsert write, in arrival order, its operation named.

        Example::

            client.people_set("user_42", {"plan": "pro"})
            [update] = server.profile_updates
            assert (update.operation, update.body["properties"]) == ("people.set", {"plan": "pro"})
        """
        found = (r.profile_update for r in self._accepted())
        return [update for update in found if update is not None]

    def wait_for_profile_updates(
        self, count: int, timeout: float = DEFAULT_WAIT
    ) -> list[ProfileUpdate]:
        """Block until at least ``count`` profile writes were accepted; return them all."""
        return self._wait(lambda: self.profile_updates, count, timeout, "profile updates")

    def wait_for_events(self, count: int, timeout: float = DEFAULT_WAIT) -> list[Event]:
        """Block until the server has accepted at least ``count`` events; return them.

        Useful when the SDK delivers from a background thread. Raises
        ``TimeoutError`` (saying what did arrive) after ``timeout`` seconds
        (default 15: longer than the default ``batch_flush_interval`` of 5 s,
        after which a batched event leaves).

        Example::

            events = server.wait_for_events(2)
        """
        return self._wait(lambda: self.events, count, timeout, "accepted events")

    def wait_for_requests(self, count: int, timeout: float = DEFAULT_WAIT) -> list[RecordedRequest]:
        """Block until at least ``count`` requests were recorded (whatever their answer)."""
        return self._wait(lambda: self.requests, count, timeout, "requests")

    def clear(self) -> None:
        """Forget every recorded request, violation and error (scripted faults stay)."""
        with self._changed:
            self._requests.clear()
            self._violations.clear()
            self._errors.clear()
            self._live.clear()

    def _accepted(self, path: str | None = None) -> Iterator[RecordedRequest]:
        with self._changed:
            requests = list(self._requests)
        return (r for r in requests if r.accepted and (path is None or r.path == path))

    def _wait(
        self, read: Callable[[], list[_T]], count: int, timeout: float, what: str
    ) -> list[_T]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := read()) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    summary = "\n".join(r.describe() for r in self._requests) or "(no requests)"
                    raise TimeoutError(
                        f"waited {timeout:g}s for {count} {what}, got {len(found)}; "
                        f"requests so far:\n{summary}"
                    )
                self._changed.wait(remaining)
        return found
