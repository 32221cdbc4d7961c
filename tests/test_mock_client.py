"""The trodo_server fixture with a real TrodoClient: what a user's test suite writes."""

from __future__ import annotations

import pytest

from trodo.testing import MockTrodoServer


def test_user_style_track_flush_assert(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client()
    client.track("user_42", "signup", {"plan": "pro"})
    assert client.flush()
    [event] = trodo_server.events
    assert (event["event_name"], event["user_id"]) == ("signup", "user_42")
    assert event["custom_properties"] == {"plan": "pro"}


def test_client_uses_the_servers_site_id_and_registers_the_session_first(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client()
    client.track("user_42", "signup")
    assert [r.path for r in trodo_server.requests] == ["/api/sdk/track", "/api/events"]
    assert {r.site_id for r in trodo_server.requests} == {trodo_server.site_id}
    [session] = trodo_server.sessions
    assert session["session_id"] == trodo_server.events[0]["session_id"]


def test_batching_client_delivers_in_bulk_from_its_worker(trodo_server: MockTrodoServer) -> None:
    client = trodo_server.client(batch_enabled=True)
    for name in ["a", "b", "c"]:
        client.track("user_42", name)
    assert client.flush(timeout=5)
    assert [e["event_name"] for e in trodo_server.events] == ["a", "b", "c"]
    assert "/api/events/bulk" in {r.path for r in trodo_server.requests}


def test_identify_merge_moves_the_users_later_events_to_the_new_id(
    trodo_server: MockTrodoServer,
) -> None:
    trodo_server.merge_on_identify = True
    user = trodo_server.client().for_user("anon_7f3e")
    user.identify("db_user_1001")
    user.track("checkout")
    assert trodo_server.identifies[0]["identifyId"] == "db_user_1001"
    assert trodo_server.events[0]["user_id"] == "db_user_1001"


def test_client_retries_past_a_503_and_the_server_accepts_the_event_once(
    trodo_server: MockTrodoServer,
) -> None:
    trodo_server.fail_next(status=503, path="/api/events")
    client = trodo_server.client()
    client.track("user_42", "signup")
    assert client.flush()
    assert [e["event_name"] for e in trodo_server.events] == ["signup"]
    assert [e["event_name"] for e in trodo_server.faulted_events] == ["signup"]


def test_stopping_the_server_first_delivers_what_its_clients_hold() -> None:
    with MockTrodoServer() as server:
        client = server.client(batch_enabled=True, batch_flush_interval=60)
        client.track("user_42", "queued")
    assert [e["event_name"] for e in server.events] == ["queued"]


def test_client_refuses_another_api_base(trodo_server: MockTrodoServer) -> None:
    with pytest.raises(TypeError, match="sets api_base"):
        trodo_server.client(api_base="https://sdkapi.trodo.ai")
