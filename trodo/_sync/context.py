"""UserContext: everything one user does, on that user's server session.

The shared part (session, validation, records, preparing and finishing the
operations) is ``trodo._core.context_base``; this context hands records and
calls to its client through `UserPort` and waits for the answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar

from trodo._core.answers import ALREADY_DONE, Answer
from trodo._core.arguments import wallet_argument
from trodo._core.context_base import ContextBase, ContextOwner
from trodo._core.operations import IDENTIFY, RESET, WALLET_ADDRESS, Call, IdentifyResult, Operation
from trodo._core.profiles import UserWrites
from trodo._core.records import EventRecord
from trodo._core.write_results import (
    UpsertResult,
    WriteOutcome,
    WriteResult,
    upsert_result,
    write_result,
)
from trodo._core.writes import UPSERT_USER, Write, WriteRecord
from trodo._sync.sessions import ThreadedSession

R = TypeVar("R")


class UserPort(ContextOwner, Protocol):
    """What a :class:`UserContext` needs of its client (``TrodoClient`` provides it)."""

    def submit(self, record: EventRecord) -> None:
        """Hand an event to delivery (sent now, or queued with batching on)."""
        ...

    def request(self, call: Call) -> tuple[Answer, Any]:
        """Send an operation's call and wait for its answer (failures reported)."""
        ...

    def write(self, record: WriteRecord) -> WriteOutcome:
        """Send a profile write now (batching off) or queue it (on)."""
        ...


class UserContext(ContextBase, UserWrites[WriteResult, UpsertResult]):
    """One user (a distinct id) and their server session.

    Get one with :meth:`TrodoClient.for_user`; it is cached per distinct id,
    and safe to share between threads::

        user = client.for_user("user_42", session_id=browser_session_id)
        user.track("checkout_completed", {"amount": 49.5, "currency": "EUR"})
        user.people.set({"plan": "pro"})
        user.get_group("company", "acme").set({"seats": 12})

    Profile and group writes return a :class:`trodo.WriteResult`: "sent"
    (batching off), "queued" (batching on) or "dropped" (reported to on_error).
    """

    __slots__ = ()
    _owner: UserPort
    _session_type = ThreadedSession

    def track(
        self,
        event_name: str,
        properties: Mapping[str, object] | None = None,
        category: str = "custom",
        *,
        timestamp: datetime | None = None,
    ) -> None:
        """Send a custom event.

        ``properties`` are copied now (see the README for how values are
        converted); ``timestamp`` (a timezone-aware datetime) defaults to now.
        With batching on this only queues the event and returns::

            user.track("plan_upgraded", {"from": "free", "to": "pro"})
        """
        record = self._track_record(event_name, properties, category, timestamp)
        self._owner.submit(record)

    track_event = track

    def capture_error(
        self,
        error: BaseException,
        severity: str = "error",
        *,
        properties: Mapping[str, object] | None = None,
    ) -> None:
        """Send an exception as a ``server_error`` event, stack trace included.

        ``severity`` is "critical", "error" or "warning". ``properties`` are
        sent beside the six error properties (checked and copied like
        ``track``'s; naming one of the six raises ValueError). Works inside and
        outside the ``except`` block, since the stack comes from the
        exception's own traceback::

            try:
                charge(card)
            except PaymentError as exc:
                user.capture_error(exc, severity="warning", properties={"provider": "stripe"})
        """
        self._owner.submit(self._error_record(error, severity, properties))

    def identify(self, identify_id: str | int) -> IdentifyResult:
        """Link this user to your own id for them (database id, Stripe customer id, ...).

        When Trodo merges the identity into another distinct id, this
        context uses that id from now on, keeps its session, and
        ``client.for_user(new_id)`` returns this same context.
        """
        return self._run(IDENTIFY, identify_id)

    def reset(self) -> bool:
        """Forget this user's server session, telling Trodo; the next call starts a new one.

        Returns whether Trodo accepted the reset (failures are reported, not raised).
        """
        return self._run(RESET)

    def wallet_address(self, address: str | None = None, *, wallet_addr: str | None = None) -> bool:
        """Associate a wallet address with this user. Returns whether Trodo accepted it.

        ``wallet_addr=`` is the vendor SDK's name of the argument; either works.
        """
        return self._run(WALLET_ADDRESS, wallet_argument(address, wallet_addr))

    def _write(self, write: Write, *args: object) -> WriteResult:
        record = self._write_record(write, args)
        return write_result(record, self._owner.write(record))

    def _upsert(self, *args: object) -> UpsertResult:
        record = self._write_record(UPSERT_USER, args)
        return upsert_result(record, self._owner.write(record))

    def _run(self, operation: Operation[R], *args: Any) -> R:
        call = self._prepare(operation, operation.check(*args))
        answer, value = (ALREADY_DONE, None) if call is None else self._owner.request(call)
        return self._finish(operation, call, answer, value)
