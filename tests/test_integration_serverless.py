"""trodo.integrations.serverless.flush_after: sync and async handlers, with the mock server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import trodo
from trodo.integrations.serverless import flush_after
from trodo.testing import MockTrodoServer


class CardDeclinedError(Exception):
    pass


def batched(server: MockTrodoServer, **options: Any) -> trodo.TrodoClient:
    # A flush interval far beyond the test: only flush() delivers.
    return trodo.init(
        site_id=server.site_id,
        api_base=server.url,
        batch_enabled=True,
        batch_flush_interval=300,
        **options,
    )


def test_a_sync_handler_returns_after_what_it_queued_was_delivered(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    batched(trodo_server)

    @flush_after
    def handler(event: dict[str, Any], context: object) -> dict[str, int]:
        trodo.track(event["user_id"], "invoice_paid", {"amount": event["amount"]})
        return {"statusCode": 200}

    assert handler({"user_id": "user_42", "amount": 120}, None) == {"statusCode": 200}
    # No waiting: delivered before the handler returned.
    assert [e["event_name"] for e in trodo_server.events] == ["invoice_paid"]
    assert handler.__name__ == "handler"


def test_a_sync_handlers_exception_is_sent_then_reraised(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    batched(trodo_server)

    @flush_after(timeout=5)
    def handler(event: object, context: object) -> None:
        raise CardDeclinedError("declined")

    with pytest.raises(CardDeclinedError, match="declined"):
        handler({}, None)
    [event] = trodo_server.events
    assert event["event_name"] == "server_error"
    assert event["custom_properties"]["handler"].endswith("handler")


def test_an_async_handler_with_an_async_client_awaits_the_flush(
    trodo_server: MockTrodoServer,
) -> None:
    async def scenario() -> str:
        client = trodo.AsyncTrodoClient(
            trodo_server.site_id,
            api_base=trodo_server.url,
            batch_enabled=True,
            batch_flush_interval=300,
        )

        @flush_after(client=client)
        async def handler(event: dict[str, str], context: object) -> str:
            await client.track(event["user_id"], "invoice_paid")
            return "done"

        result = await handler({"user_id": "user_42"}, None)
        delivered = [e["event_name"] for e in trodo_server.events]
        await client.shutdown()
        return f"{result} {delivered}"

    assert asyncio.run(scenario()) == "done ['invoice_paid']"


def test_an_async_handler_with_a_sync_client_flushes_off_the_loop(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    client = batched(trodo_server)

    @flush_after
    async def handler(event: object, context: object) -> None:
        client.track("user_42", "invoice_paid")
        raise CardDeclinedError("async declined")

    with pytest.raises(CardDeclinedError):
        asyncio.run(handler({}, None))
    names = sorted(e["event_name"] for e in trodo_server.events)
    assert names == ["invoice_paid", "server_error"]


def test_the_flush_is_bounded_by_the_timeout(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    batched(trodo_server, shutdown_timeout=0.5, timeout=20)
    trodo_server.delay_next(10.0, path="/api/events/bulk")  # far past the handler's budget

    @flush_after(timeout=0.5, capture_errors=False)
    def handler(event: object, context: object) -> str:
        trodo.track("user_42", "invoice_paid")
        return "returned"

    # Returns while the event is still under way, rather than wait for it.
    assert handler({}, None) == "returned"
    assert trodo_server.events == []


def test_without_a_client_the_handler_just_runs(default_client: None) -> None:
    @flush_after
    def handler(event: int, context: object) -> int:
        return event + 1

    assert handler(1, None) == 2


@pytest.mark.parametrize("timeout", [0, -1, True, "2"])
def test_a_bad_timeout_is_refused_at_decoration(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        flush_after(timeout=timeout)  # type: ignore[arg-type]
