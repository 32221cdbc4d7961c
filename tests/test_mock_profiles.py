"""The mock server records profile, group and upsert writes, checks them, and can fault them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from trodo.testing import Answer, MockTrodoServer, ProfileUpdate

from . import trodo_payloads as payloads
from .trodo_payloads import HEADERS, PROFILE_VALID


@pytest.fixture
def server() -> Iterator[MockTrodoServer]:
    with MockTrodoServer() as mock:
        yield mock


@pytest.fixture
def api(server: MockTrodoServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=HEADERS) as client:
        yield client


def test_every_profile_write_is_recorded_in_arrival_order_with_its_operation_named(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    for path, build in PROFILE_VALID.items():
        assert api.post(path, json=build()).status_code == 200
    operations = [update.operation for update in server.profile_updates]
    expected = [path.removeprefix("/api/sdk/").replace("/", ".") for path in PROFILE_VALID]
    assert operations == expected
    assert operations[0] == "people.set"
    assert "groups.profile.increment" in operations
    assert operations[-1] == "users.upsert"
    assert [update.body for update in server.profile_updates] == [
        build() for build in PROFILE_VALID.values()
    ]
    assert server.violations == []


def test_a_profile_update_names_its_user_whichever_key_carries_it(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/sdk/people/set", json=payloads.VALID["/api/sdk/people/set"]())
    api.post("/api/sdk/users/upsert", json={"distinctId": "user_7"})
    assert [u.user_id for u in server.profile_updates] == ["user_42", "user_7"]
    assert server.profile_updates[1] == ProfileUpdate("users.upsert", {"distinctId": "user_7"})


def test_profile_writes_are_not_events_and_events_are_not_profile_writes(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/events", json=payloads.event("signup"))
    api.post("/api/sdk/people/delete_user", json=payloads.PEOPLE)
    assert [e["event_name"] for e in server.events] == ["signup"]
    assert server.profile_updates == [ProfileUpdate("people.delete_user", payloads.PEOPLE)]


def test_an_invalid_profile_write_is_a_violation_and_not_recorded_as_an_update(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    response = api.post("/api/sdk/people/unset", json={**payloads.PEOPLE, "keys": "plan"})
    assert response.status_code == 400
    assert "'plan' is not of type 'array'" in response.json()["error"]
    [violation] = server.violations
    assert violation.path == "/api/sdk/people/unset"
    assert server.profile_updates == []


@pytest.mark.parametrize("path", ["/api/sdk/people/set", "/api/sdk/groups/profile/set"])
def test_fail_next_for_a_profile_path_applies_to_it_alone(
    server: MockTrodoServer, api: httpx.Client, path: str
) -> None:
    server.fail_next(status=503, path=path)
    api.post("/api/events", json=payloads.event())
    assert api.post(path, json=PROFILE_VALID[path]()).status_code == 503
    assert api.post(path, json=PROFILE_VALID[path]()).status_code == 200
    [update] = server.profile_updates
    assert update.body == PROFILE_VALID[path]()
    assert [r.accepted for r in server.requests if r.path == path] == [False, True]


def test_drop_and_outage_apply_to_profile_writes(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    server.drop_next(path="/api/sdk/users/upsert")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/api/sdk/users/upsert", json=payloads.upsert())
    server.outage(60)
    assert api.post("/api/sdk/groups/add_group", json=payloads.GROUP).status_code == 503
    assert server.profile_updates == []


def test_respond_with_answers_upsert_with_the_typed_response(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    def created(path: str, body: Any) -> Answer:
        return Answer(200, {"success": True, "distinctId": body["distinctId"], "created": True})

    server.respond_with(created, path="/api/sdk/users/upsert")
    answer = api.post("/api/sdk/users/upsert", json={"distinctId": "user_9"})
    assert answer.json() == {"success": True, "distinctId": "user_9", "created": True}
    assert api.post("/api/sdk/people/set", json=PROFILE_VALID["/api/sdk/people/set"]()).json() == {
        "success": True
    }


def test_wait_for_profile_updates_returns_once_enough_arrived(
    server: MockTrodoServer, api: httpx.Client
) -> None:
    api.post("/api/sdk/groups/remove_group", json=payloads.GROUP)
    [update] = server.wait_for_profile_updates(1, timeout=5)
    assert update.operation == "groups.remove_group"
    with pytest.raises(TimeoutError, match="for 2 profile updates, got 1"):
        server.wait_for_profile_updates(2, timeout=0.2)


def test_the_readme_example_of_a_profile_write_under_the_fixture(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client()
    client.people_set("user_42", {"plan": "pro"})
    assert trodo_server.profile_updates == [
        ProfileUpdate(
            "people.set",
            {"siteId": trodo_server.site_id, "userId": "user_42", "properties": {"plan": "pro"}},
        )
    ]


def test_the_readmes_profiles_example_runs_and_every_request_follows_the_spec(
    trodo_server: MockTrodoServer,
) -> None:
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("### Profiles, groups and upsert", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    client = trodo_server.client()
    exec(compile(code, "README.md", "exec"), {"client": client})
    operations = [u.operation for u in trodo_server.profile_updates]
    people = ["set", "set_once", "unset", "increment", "append", "union", "remove"]
    people += ["track_charge", "clear_charges", "delete_user"]
    group = ["set", "set_once", "union", "remove", "increment", "append", "unset", "delete"]
    assert operations == [
        *(f"people.{name}" for name in people),
        "groups.set_group",
        "groups.add_group",
        "groups.remove_group",
        *(f"groups.profile.{name}" for name in group),
        "users.upsert",
    ]  # all 22, each once
