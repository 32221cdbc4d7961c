"""capture_error(..., properties=...): more properties on a server_error, beside the six."""

from __future__ import annotations

import asyncio

import pytest

import trodo
from trodo.testing import MockTrodoServer

SIX = {"error_type", "message", "stack", "runtime", "severity", "timestamp"}


def declined() -> ValueError:
    try:
        raise ValueError("card declined")
    except ValueError as exc:
        return exc


def test_extra_properties_travel_beside_the_six(trodo_server: MockTrodoServer) -> None:
    with trodo_server.client() as client:
        client.for_user("user_42").capture_error(
            declined(), properties={"route": "/orders/<int:pk>/", "status": 500}
        )
        client.capture_error("user_42", declined(), "warning", properties={"attempt": 2})
    first, second = trodo_server.events
    assert set(first["custom_properties"]) == SIX | {"route", "status"}
    assert first["custom_properties"]["route"] == "/orders/<int:pk>/"
    assert second["custom_properties"]["attempt"] == 2
    assert second["custom_properties"]["severity"] == "warning"


def test_the_module_level_helper_and_the_async_client_take_them(
    trodo_server: MockTrodoServer, default_client: None
) -> None:
    trodo.init(trodo_server.site_id, api_base=trodo_server.url)
    trodo.capture_error("user_42", declined(), properties={"job": "nightly"})

    async def scenario() -> None:
        async with trodo.AsyncTrodoClient(trodo_server.site_id, api_base=trodo_server.url) as c:
            await c.for_user("user_42").capture_error(declined(), properties={"job": "async"})

    asyncio.run(scenario())
    assert [e["custom_properties"]["job"] for e in trodo_server.events] == ["nightly", "async"]


@pytest.mark.parametrize("key", sorted(SIX))
def test_a_property_named_like_one_of_the_six_is_refused(key: str) -> None:
    with (
        trodo.TrodoClient("site", api_base="http://127.0.0.1:9") as client,
        pytest.raises(ValueError, match=key),
    ):
        client.capture_error("user_42", declined(), properties={key: "mine"})


def test_properties_are_checked_like_track_properties() -> None:
    with trodo.TrodoClient("site", api_base="http://127.0.0.1:9") as client:
        with pytest.raises(TypeError, match="mapping"):
            client.capture_error("user_42", declined(), properties=["route"])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"properties\['when'\]"):
            client.capture_error("user_42", declined(), properties={"when": object()})
        assert client.stats().queued == 0


def test_the_nowait_forms_check_now_and_deliver_from_another_thread(
    trodo_server: MockTrodoServer,
) -> None:
    import threading

    async def scenario() -> bool:
        client = trodo.AsyncTrodoClient(trodo_server.site_id, api_base=trodo_server.url)
        user = client.for_user("user_42")
        await user.track("first")  # binds the client to this loop

        def from_a_thread() -> None:
            user.track_nowait("from_thread", {"n": 1})
            user.capture_error_nowait(declined(), properties={"where": "thread"})
            with pytest.raises(ValueError, match="event_name"):
                user.track_nowait("")

        thread = threading.Thread(target=from_a_thread)
        thread.start()
        await asyncio.to_thread(thread.join)
        await asyncio.to_thread(trodo_server.wait_for_events, 3)  # the loop runs meanwhile
        await client.shutdown()
        return True

    assert asyncio.run(scenario())
    by_name = {e["event_name"]: e for e in trodo_server.events}
    assert by_name["from_thread"]["custom_properties"] == {"n": 1}
    assert by_name["server_error"]["custom_properties"]["where"] == "thread"
