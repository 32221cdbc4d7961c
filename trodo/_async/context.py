"""AsyncUserContext: everything one user does, for asyncio code (twin of
``trodo._sync.context``).

The shared part is ``trodo._core.context_base``; this context hands records
and calls to its client through `AsyncUserPort` and awaits the answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar

from trodo._async.sessions import AsyncSession
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

R = TypeVar("R")


class AsyncUserPort(ContextOwner, Protocol):
    """What an :class:`AsyncUserContext` needs of its client (``AsyncTrodoClient``)."""

    def check_loop(self) -> None:
        """Raise RuntimeError unless called on the client's event loop."""
        ...

    async def submit(self, record: EventRecord) -> None:
        """Hand an event to delivery, on the client's loop."""
        ...

    def submit_threadsafe(self, record: EventRecord) -> None:
        """Hand an event to delivery from any thread, never waiting."""
        ...

    async def request(self, call: Call) -> tuple[Answer, Any]:
        """Send an operation's call on the client's loop and await its answer."""
        ...

    async def write(self, record: WriteRecord) -> WriteOutcome:
        """Send a profile write (batching off, awaited) or queue it (on), on the loop."""
        ...


class AsyncUserContext(ContextBase, UserWrites[Awaitable[WriteResult], Awaitable[UpsertResult]]):
    """One user (a distinct id) and their server session, for asyncio code.

    Get one with :meth:`AsyncTrodoClient.for_user` (no await: it only looks
    up the cache); it is cached per distinct id and safe to share between
    tasks::

        user = client.for_user("user_42", session_id=browser_session_id)
        await user.track("checkout_completed", {"amount": 49.5, "currency": "EUR"})
        await user.people.set({"plan": "pro"})
        await user.get_group("company", "acme").set({"seats": 12})
    """

    __slots__ = ()
    _owner: AsyncUserPort
    _session_type = AsyncSession

    async def track(
        self,
        event_name: str,
        properties: Mapping[str, object] | None = None,
        category: str = "custom",
        *,
        timestamp: datetime | None = None,
    ) -> None:
        """Send a custom event.

        Wrong arguments raise here, as in :meth:`UserContext.track`. With
        batching on this only queues the event: it awaits nothing and does no
        I/O. With batching off it awaits the request (retries included)::

            await user.track("plan_upgraded", {"from": "free", "to": "pro"})
        """
        record = self._track_record(event_name, properties, category, timestamp)
        await self._owner.submit(record)

    track_event = track

    async def capture_error(
        self,
        error: BaseException,
        severity: str = "error",
        *,
        properties: Mapping[str, object] | None = None,
    ) -> None:
        """Send an exception as a ``server_error`` event, stack trace included.

        ``severity`` is "critical", "error" or "warning"; ``properties`` as in
        :meth:`UserContext.capture_error`::

            try:
                await charge(card)
            except PaymentError as exc:
                await user.capture_error(exc, severity="warning")
        """
        await self._owner.submit(self._error_record(error, severity, properties))

    def capture_error_nowait(
        self,
        error: BaseException,
        severity: str = "error",
        *,
        properties: Mapping[str, object] | None = None,
    ) -> None:
        """:meth:`capture_error` from sync code on any thread (a logging handler, a
        signal handler, a sync endpoint's worker thread): checks now, never waits.

        The event is handed to the client's loop: queued with batching on;
        with batching off sent on the loop while it runs, and reported as lost
        (``shutdown``) when it does not, as uncaught exceptions are.
        """
        self._owner.submit_threadsafe(self._error_record(error, severity, properties))

    def track_nowait(
        self,
        event_name: str,
        properties: Mapping[str, object] | None = None,
        category: str = "custom",
        *,
        timestamp: datetime | None = None,
    ) -> None:
        """:meth:`track` from sync code on any thread; see :meth:`capture_error_nowait`."""
        record = self._track_record(event_name, properties, category, timestamp)
        self._owner.submit_threadsafe(record)

    async def identify(self, identify_id: str | int) -> IdentifyResult:
        """Link this user to your own id for them; see :meth:`UserContext.identify`.

        After a merge this context uses the merged id, keeps its session, and
        ``client.for_user(new_id)`` returns this same context.
        """
        return await self._run(IDENTIFY, identify_id)

    async def reset(self) -> bool:
        """Forget this user's server session, telling Trodo; the next call starts a new one.

        Returns whether Trodo accepted the reset (failures are reported, not raised).
        """
        return await self._run(RESET)

    async def wallet_address(
        self, address: str | None = None, *, wallet_addr: str | None = None
    ) -> bool:
        """Associate a wallet address with this user. Returns whether Trodo accepted it.

        ``wallet_addr=`` is the vendor SDK's name of the argument; either works.
        """
        return await self._run(WALLET_ADDRESS, wallet_argument(address, wallet_addr))

    def _write(self, write: Write, *args: object) -> Awaitable[WriteResult]:
        # Checked now, at the call: wrong use raises even where the await is forgotten.
        return self._written(self._write_record(write, args))

    async def _written(self, record: WriteRecord) -> WriteResult:
        return write_result(record, await self._owner.write(record))

    def _upsert(self, *args: object) -> Awaitable[UpsertResult]:
        return self._upserted(self._write_record(UPSERT_USER, args))

    async def _upserted(self, record: WriteRecord) -> UpsertResult:
        return upsert_result(record, await self._owner.write(record))

    async def _run(self, operation: Operation[R], *args: Any) -> R:
        checked = operation.check(*args)
        self._owner.check_loop()  # before the context changes: a wrong loop changes nothing
        call = self._prepare(operation, checked)
        answer, value = (ALREADY_DONE, None) if call is None else await self._owner.request(call)
        return self._finish(operation, call, answer, value)

    def _capture_uncaught(self, error: BaseException) -> None:
        self._owner.submit_threadsafe(self._error_record(error, "critical"))


def capture_uncaught(context: AsyncUserContext, error: BaseException) -> None:
    """From a sync exception hook on any thread: queue or hand over, never wait."""
    context._capture_uncaught(error)
