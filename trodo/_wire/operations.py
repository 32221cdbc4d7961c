"""How each operation goes on the wire: its generated endpoint, its body, its answer.

One entry an operation of ``trodo._core.operations`` (a test checks that
each has one), plus the three the senders use themselves: session
registration, one event, a bulk of events. Both transports call every
entry the same way, ``endpoint.sync_detailed`` or ``endpoint.asyncio_detailed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from trodo._core.operations import IDENTIFY, RESET, WALLET_ADDRESS, Call, Operation
from trodo_api import Client
from trodo_api.api.events import track_event, track_events_bulk
from trodo_api.api.identity import identify, reset, set_wallet_address
from trodo_api.api.sessions import register_session
from trodo_api.models import IdentifyRequest, IdentifyResponse, ResetRequest, WalletAddressRequest
from trodo_api.types import Response


class Generated(Protocol):
    """A generated operation module (``trodo_api.api.<tag>.<operation>``)."""

    def sync_detailed(self, *, client: Client, body: Any) -> Response[Any]: ...
    async def asyncio_detailed(self, *, client: Client, body: Any) -> Response[Any]: ...


def _nothing(parsed: object) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An operation's wire: the generated call, the body from the user's call,
    and the value read from a successful answer's parsed body."""

    generated: Generated
    body: Callable[[Call], Any]
    read: Callable[[object], Any] = _nothing


REGISTER_SESSION: Generated = register_session
TRACK_EVENT: Generated = track_event
TRACK_EVENTS_BULK: Generated = track_events_bulk


def _merged_id(parsed: object) -> str | None:
    """The new distinct id an identify answer carries, if any."""
    if not isinstance(parsed, IdentifyResponse):
        return None
    for candidate in (parsed.new_distinct_id, parsed.distinct_id):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


def _whose(call: Call) -> dict[str, str]:
    """The fields every identity body starts with: the site, the session, the user."""
    session = call.session
    return {
        "site_id": session.site_id,
        "session_id": session.session_id,
        "user_id": call.distinct_id,
        "distinct_id": call.distinct_id,
    }


def _identify(call: Call) -> IdentifyRequest:
    # The current distinct id linked to the caller's identify_id.
    (identify_id,) = call.args
    return IdentifyRequest(**_whose(call), identify_id=identify_id)


def _reset(call: Call) -> ResetRequest:
    return ResetRequest(**_whose(call))


def _wallet_address(call: Call) -> WalletAddressRequest:
    (address,) = call.args
    return WalletAddressRequest(**_whose(call), wallet_address=address)


ENDPOINTS: dict[Operation[Any], Endpoint] = {
    IDENTIFY: Endpoint(identify, _identify, _merged_id),
    RESET: Endpoint(reset, _reset),
    WALLET_ADDRESS: Endpoint(set_wallet_address, _wallet_address),
}
