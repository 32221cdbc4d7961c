"""The operations a user context offers that need their answer: what each means.

One entry a operation: its name (``DeliveryError.operation``), the call-site
check of the user's arguments, whether the user's session is registered
first or forgotten, and what the caller gets back. How each one is encoded
on the wire (the generated endpoint, the body, reading the answer) is its
entry in ``trodo._wire.operations``. Both clients and every public form
(module level, client, user context) run every operation through the same
shared flow: ``ContextBase.prepare`` -> the client's sender -> ``ContextBase.finish``.

Events (``track``, ``capture_error``) are not here: they are records handed
to delivery, queued when batching is on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from trodo._core.answers import Answer, Outcome
from trodo._core.arguments import require_distinct_id
from trodo._core.sessions import Session
from trodo._core.validation import require_text

__all__ = ["IDENTIFY", "OPERATIONS", "RESET", "WALLET_ADDRESS", "Call", "IdentifyResult", "Reply"]

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class IdentifyResult:
    """What :meth:`UserContext.identify` did.

    ``distinct_id`` is the id the context uses from now on: the merged id
    when Trodo merged the identity (``merged`` is then True).
    """

    ok: bool
    """Trodo accepted the call."""
    distinct_id: str
    """The context's distinct id after the call."""
    merged: bool
    """Trodo answered with a new distinct id, which the context now uses."""


@dataclass(frozen=True, slots=True)
class Reply:
    """An operation's answer as its result is made from it."""

    answer: Answer
    value: Any
    """What the wire read from the answer's body (None unless it succeeded)."""
    distinct_id: str
    """The context's distinct id after the call."""
    merged: bool
    """The context followed a new distinct id the answer carried."""

    @property
    def ok(self) -> bool:
        """Trodo accepted the call."""
        return self.answer.outcome is Outcome.OK


def _accepted(reply: Reply) -> bool:
    return reply.ok


@dataclass(frozen=True, slots=True, eq=False)
class Operation(Generic[R]):
    """One operation: everything about it that is not the wire."""

    name: str
    """Reported as ``DeliveryError.operation``; names its wire entry's log lines."""
    check: Callable[..., tuple[Any, ...]]
    """Call-site validation: the user's arguments in, the call's arguments out; raises."""
    result: Callable[[Reply], R] = _accepted  # type: ignore[assignment]
    """What the caller gets back (default: whether Trodo accepted it)."""
    registers_session: bool = True
    """The user's session is registered with Trodo first (once)."""
    forgets_session: bool = False
    """The context forgets its session first and sends it; with none, nothing is sent."""
    follows_merge: bool = False
    """The answer may carry a new distinct id, which the context then uses."""


@dataclass(frozen=True, slots=True)
class Call:
    """One operation as accepted at the call site: whose, on which session, with what."""

    operation: Operation[Any]
    session: Session
    distinct_id: str
    args: tuple[Any, ...]


IDENTIFY: Operation[IdentifyResult] = Operation(
    "identify",
    check=lambda identify_id: (require_distinct_id(identify_id, "identify_id"),),
    result=lambda reply: IdentifyResult(reply.ok, reply.distinct_id, reply.merged),
    follows_merge=True,
)
# No registration first: a session Trodo never saw is already forgotten.
RESET: Operation[bool] = Operation(
    "reset", check=lambda: (), registers_session=False, forgets_session=True
)
WALLET_ADDRESS: Operation[bool] = Operation(
    "wallet_address", check=lambda address: (require_text(address, "address"),)
)

OPERATIONS: tuple[Operation[Any], ...] = (IDENTIFY, RESET, WALLET_ADDRESS)
"""Every operation; ``trodo._wire.operations`` has an entry for each (a test checks)."""
