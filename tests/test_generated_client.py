"""The generated client (trodo_api) builds and sends exactly the protocol's bodies."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from trodo_api import Client
from trodo_api.api.events import track_event, track_events_bulk
from trodo_api.api.identity import identify, reset, set_wallet_address
from trodo_api.api.sessions import register_session
from trodo_api.models import (
    BulkEvents,
    CustomProperties,
    Event,
    GroupProfileAppendRequest,
    GroupProfileIncrementRequest,
    GroupProfilePropertiesRequest,
    GroupProfileRemoveRequest,
    GroupProfileRequest,
    GroupProfileUnionRequest,
    GroupProfileUnsetRequest,
    IdentifyRequest,
    IdentifyResponse,
    PeopleIncrementRequest,
    PeopleListRequest,
    PeoplePropertiesRequest,
    PeopleRequest,
    PeopleTrackChargeRequest,
    PeopleUnsetRequest,
    ResetRequest,
    SessionData,
    SessionRegistration,
    SetGroupRequest,
    UpsertUserRequest,
    WalletAddressRequest,
)
from trodo_api.models import (
    GroupMembershipRequest as Membership,
)

from . import trodo_payloads as payloads
from .test_spec import OPERATIONS

SITE = "site_123"
SESSION = "6f1c2a8e-3b0d-4f5e-9a7c-1d2e3f4a5b6c"
START = dt.datetime(2026, 11, 27, 11, 40, 29, 996713, tzinfo=dt.UTC)

MODELS_BY_PATH = {
    "/api/sdk/track": SessionRegistration,
    "/api/events": Event,
    "/api/events/bulk": BulkEvents,
    "/api/sdk/identify": IdentifyRequest,
    "/api/sdk/reset": ResetRequest,
    "/api/sdk/wallet-address": WalletAddressRequest,
}
# Profiles, groups and upsert: the generated module and request model of each path.
PROFILE_CALLS: dict[str, tuple[Any, Any]] = {
    "/api/sdk/people/set": ("people.people_set", PeoplePropertiesRequest),
    "/api/sdk/people/set_once": ("people.people_set_once", PeoplePropertiesRequest),
    "/api/sdk/people/unset": ("people.people_unset", PeopleUnsetRequest),
    "/api/sdk/people/increment": ("people.people_increment", PeopleIncrementRequest),
    "/api/sdk/people/append": ("people.people_append", PeopleListRequest),
    "/api/sdk/people/union": ("people.people_union", PeopleListRequest),
    "/api/sdk/people/remove": ("people.people_remove", PeopleListRequest),
    "/api/sdk/people/track_charge": ("people.people_track_charge", PeopleTrackChargeRequest),
    "/api/sdk/people/clear_charges": ("people.people_clear_charges", PeopleRequest),
    "/api/sdk/people/delete_user": ("people.people_delete_user", PeopleRequest),
    "/api/sdk/groups/set_group": ("groups.set_group", SetGroupRequest),
    "/api/sdk/groups/add_group": ("groups.add_group", Membership),
    "/api/sdk/groups/remove_group": ("groups.remove_group", Membership),
    "/api/sdk/groups/profile/set": ("groups.group_profile_set", GroupProfilePropertiesRequest),
    "/api/sdk/groups/profile/set_once": (
        "groups.group_profile_set_once",
        GroupProfilePropertiesRequest,
    ),
    "/api/sdk/groups/profile/union": ("groups.group_profile_union", GroupProfileUnionRequest),
    "/api/sdk/groups/profile/remove": ("groups.group_profile_remove", GroupProfileRemoveRequest),
    "/api/sdk/groups/profile/unset": ("groups.group_profile_unset", GroupProfileUnsetRequest),
    "/api/sdk/groups/profile/increment": (
        "groups.group_profile_increment",
        GroupProfileIncrementRequest,
    ),
    "/api/sdk/groups/profile/append": ("groups.group_profile_append", GroupProfileAppendRequest),
    "/api/sdk/groups/profile/delete": ("groups.group_profile_delete", GroupProfileRequest),
    "/api/sdk/users/upsert": ("users.upsert_user", UpsertUserRequest),
}
MODELS_BY_PATH.update({path: model for path, (_, model) in PROFILE_CALLS.items()})


def _event(name: str, props: dict[str, Any]) -> Event:
    return Event(
        event_type="custom",
        event_name=name,
        event_category="custom",
        session_id=SESSION,
        user_id="user_42",
        custom_properties=CustomProperties.from_dict(props),
        page_data=None,
        auto_event_data=None,
        element_data=None,
        override_data=None,
    )


# Each case: the generated call, and the body protocol.md says goes on the wire.
CASES: dict[str, tuple[Callable[[Client], object], dict[str, Any]]] = {
    "/api/sdk/track": (
        lambda c: register_session.sync_detailed(
            client=c,
            body=SessionRegistration(
                session_data=SessionData(
                    session_id=SESSION,
                    site_id=SITE,
                    user_id="user_42",
                    distinct_id="user_42",
                    team_id=None,
                    start_time=START,
                    last_activity=1795779629996,
                    is_bounce=False,
                    referrer="server",
                    device_type="server",
                    is_server_session=True,
                )
            ),
        ),
        {
            "sessionData": {
                "session_id": SESSION,
                "site_id": SITE,
                "user_id": "user_42",
                "distinct_id": "user_42",
                "team_id": None,
                "start_time": "2026-11-27T11:40:29.996713+00:00",
                "last_activity": 1795779629996,
                "is_bounce": False,
                "referrer": "server",
                "device_type": "server",
                "is_server_session": True,
            }
        },
    ),
    "/api/events": (
        lambda c: track_event.sync_detailed(client=c, body=_event("purchase", {"amount": 49.5})),
        {
            "event_type": "custom",
            "event_name": "purchase",
            "event_category": "custom",
            "session_id": SESSION,
            "user_id": "user_42",
            "custom_properties": {"amount": 49.5},
            "page_data": None,
            "auto_event_data": None,
            "element_data": None,
            "override_data": None,
        },
    ),
    "/api/events/bulk": (
        lambda c: track_events_bulk.sync_detailed(
            client=c, body=BulkEvents(events=[_event("a", {}), _event("b", {"n": [1, 2]})])
        ),
        {
            "events": [
                {
                    "event_type": "custom",
                    "event_name": name,
                    "event_category": "custom",
                    "session_id": SESSION,
                    "user_id": "user_42",
                    "custom_properties": props,
                    "page_data": None,
                    "auto_event_data": None,
                    "element_data": None,
                    "override_data": None,
                }
                for name, props in (("a", {}), ("b", {"n": [1, 2]}))
            ]
        },
    ),
    "/api/sdk/identify": (
        lambda c: identify.sync_detailed(
            client=c,
            body=IdentifyRequest(
                site_id=SITE,
                session_id=SESSION,
                user_id="anon_1",
                distinct_id="anon_1",
                identify_id="db_1001",
            ),
        ),
        {
            "siteId": SITE,
            "sessionId": SESSION,
            "userId": "anon_1",
            "distinctId": "anon_1",
            "identifyId": "db_1001",
        },
    ),
    "/api/sdk/reset": (
        lambda c: reset.sync_detailed(
            client=c,
            body=ResetRequest(
                site_id=SITE, session_id=SESSION, user_id="user_42", distinct_id="user_42"
            ),
        ),
        {"siteId": SITE, "sessionId": SESSION, "userId": "user_42", "distinctId": "user_42"},
    ),
    "/api/sdk/wallet-address": (
        lambda c: set_wallet_address.sync_detailed(
            client=c,
            body=WalletAddressRequest(
                site_id=SITE,
                session_id=SESSION,
                user_id="user_42",
                distinct_id="user_42",
                wallet_address="0xabc",
            ),
        ),
        {
            "siteId": SITE,
            "sessionId": SESSION,
            "userId": "user_42",
            "distinctId": "user_42",
            "walletAddress": "0xabc",
        },
    ),
}


def _profile_case(path: str) -> tuple[Callable[[Client], object], dict[str, Any]]:
    name, model = PROFILE_CALLS[path]
    module = importlib.import_module(f"trodo_api.api.{name}")
    body = payloads.VALID[path]()
    return lambda c: module.sync_detailed(client=c, body=model.from_dict(body)), body


CASES.update({path: _profile_case(path) for path in PROFILE_CALLS})


@pytest.fixture
def client(httpserver: HTTPServer) -> Iterator[Client]:
    with Client(base_url=httpserver.url_for(""), headers={"X-Trodo-Site-Id": SITE}) as c:
        yield c


@pytest.mark.parametrize("path", OPERATIONS)
def test_spec_example_round_trips_through_its_generated_model(
    spec: dict[str, Any], path: str
) -> None:
    example = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"]
    model = MODELS_BY_PATH[path].from_dict(example)
    assert model.to_dict() == example
    assert type(model).from_dict(model.to_dict()) == model


@pytest.mark.parametrize("path", OPERATIONS)
def test_generated_call_sends_site_id_header_and_exact_protocol_body(
    httpserver: HTTPServer, client: Client, path: str
) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response('{"success": true}', content_type="application/json")

    httpserver.expect_oneshot_request(path, method="POST").respond_with_handler(handler)
    call, expected_body = CASES[path]
    call(client)
    httpserver.check_assertions()
    (request,) = seen
    assert request.headers["X-Trodo-Site-Id"] == SITE
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.get_data()) == expected_body


def test_identify_answer_is_parsed_with_unknown_fields_kept(
    httpserver: HTTPServer, client: Client
) -> None:
    httpserver.expect_request("/api/sdk/identify").respond_with_json(
        {"success": True, "newDistinctId": "merged_9", "fromTheFuture": {"x": 1}}
    )
    call, _ = CASES["/api/sdk/identify"]
    answer = call(client)
    parsed = getattr(answer, "parsed", None)
    assert isinstance(parsed, IdentifyResponse)
    assert parsed.new_distinct_id == "merged_9"
    assert parsed["fromTheFuture"] == {"x": 1}


def test_error_answers_with_non_json_bodies_do_not_break_the_generated_call(
    httpserver: HTTPServer, client: Client
) -> None:
    # A proxy's HTML 502: error answers are documented without a body schema.
    httpserver.expect_request("/api/events").respond_with_data(
        "<html>bad gateway</html>", status=502, content_type="text/html"
    )
    call, _ = CASES["/api/events"]
    answer = call(client)
    assert getattr(answer, "status_code", None) == 502
    assert getattr(answer, "parsed", "missing") is None
