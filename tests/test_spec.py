"""openapi/trodo.yaml says exactly what the Trodo protocol says."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import validate

from . import trodo_payloads as payloads

OPERATIONS = {
    "/api/sdk/track": "registerSession",
    "/api/events": "trackEvent",
    "/api/events/bulk": "trackEventsBulk",
    "/api/sdk/identify": "identify",
    "/api/sdk/reset": "reset",
    "/api/sdk/wallet-address": "setWalletAddress",
    "/api/sdk/people/set": "peopleSet",
    "/api/sdk/people/set_once": "peopleSetOnce",
    "/api/sdk/people/unset": "peopleUnset",
    "/api/sdk/people/increment": "peopleIncrement",
    "/api/sdk/people/append": "peopleAppend",
    "/api/sdk/people/union": "peopleUnion",
    "/api/sdk/people/remove": "peopleRemove",
    "/api/sdk/people/track_charge": "peopleTrackCharge",
    "/api/sdk/people/clear_charges": "peopleClearCharges",
    "/api/sdk/people/delete_user": "peopleDeleteUser",
    "/api/sdk/groups/set_group": "setGroup",
    "/api/sdk/groups/add_group": "addGroup",
    "/api/sdk/groups/remove_group": "removeGroup",
    "/api/sdk/groups/profile/set": "groupProfileSet",
    "/api/sdk/groups/profile/set_once": "groupProfileSetOnce",
    "/api/sdk/groups/profile/union": "groupProfileUnion",
    "/api/sdk/groups/profile/remove": "groupProfileRemove",
    "/api/sdk/groups/profile/unset": "groupProfileUnset",
    "/api/sdk/groups/profile/increment": "groupProfileIncrement",
    "/api/sdk/groups/profile/append": "groupProfileAppend",
    "/api/sdk/groups/profile/delete": "groupProfileDelete",
    "/api/sdk/users/upsert": "upsertUser",
}
PROFILE_PATHS = [path for path in OPERATIONS if path.startswith(payloads.PROFILE_PREFIXES)]


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> OAS31Validator:
    # Resolve #/components/... refs against the whole document.
    return OAS31Validator(
        {**schema, "components": spec["components"]}, format_checker=oas31_format_checker
    )


def _request(spec: dict[str, Any], path: str) -> dict[str, Any]:
    body: dict[str, Any] = spec["paths"][path]["post"]["requestBody"]
    media: dict[str, Any] = body["content"]["application/json"]
    return media


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def test_spec_is_a_valid_openapi_3_1_document(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_spec_has_exactly_the_28_post_operations(spec: dict[str, Any]) -> None:
    found = {path: item["post"]["operationId"] for path, item in spec["paths"].items()}
    assert found == OPERATIONS
    assert all(list(item) == ["post"] for item in spec["paths"].values())
    assert all(item["post"]["tags"] for item in spec["paths"].values())


def test_site_id_is_an_api_key_header_scheme_not_a_parameter(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["siteId"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "X-Trodo-Site-Id"}
    assert spec["security"] == [{"siteId": []}]
    assert not any("parameters" in item["post"] for item in spec["paths"].values())


@pytest.mark.parametrize("path", OPERATIONS)
def test_every_request_example_validates_against_its_schema(
    spec: dict[str, Any], path: str
) -> None:
    media = _request(spec, path)
    _validator(spec, media["schema"]).validate(media["example"])


@pytest.mark.parametrize("path", OPERATIONS)
def test_request_schemas_reject_unknown_keys(spec: dict[str, Any], path: str) -> None:
    media = _request(spec, path)
    body = {**copy.deepcopy(media["example"]), "unexpected": 1}
    with pytest.raises(ValidationError):
        _validator(spec, media["schema"]).validate(body)


def test_session_data_requires_exactly_the_eleven_protocol_keys(spec: dict[str, Any]) -> None:
    session = _schema(spec, "SessionData")
    assert set(session["required"]) == set(session["properties"]) == {
        "session_id", "site_id", "user_id", "distinct_id", "team_id", "start_time",
        "last_activity", "is_bounce", "referrer", "device_type", "is_server_session",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("key", "wrong"),
    [
        ("team_id", "t1"),
        ("is_bounce", True),
        ("referrer", "browser"),
        ("device_type", "desktop"),
        ("is_server_session", False),
        ("last_activity", "1795779629996"),
        ("start_time", "yesterday"),
    ],
)
def test_session_data_constants_and_types_are_enforced(
    spec: dict[str, Any], key: str, wrong: object
) -> None:
    media = _request(spec, "/api/sdk/track")
    body = copy.deepcopy(media["example"])
    body["sessionData"][key] = wrong
    with pytest.raises(ValidationError):
        _validator(spec, media["schema"]).validate(body)


def test_event_requires_all_ten_keys_and_allows_a_timestamp(spec: dict[str, Any]) -> None:
    event = _schema(spec, "Event")
    assert set(event["required"]) == {
        "event_type", "event_name", "event_category", "session_id", "user_id",
        "custom_properties", "page_data", "auto_event_data", "element_data", "override_data",
    }  # fmt: skip
    assert set(event["properties"]) == {*event["required"], "timestamp"}


@pytest.mark.parametrize(
    ("key", "wrong"),
    [
        ("event_type", "pageview"),
        ("event_name", ""),
        ("page_data", {}),
        ("override_data", "x"),
        ("custom_properties", []),
    ],
)
def test_event_rejects_values_the_protocol_does_not_allow(
    spec: dict[str, Any], key: str, wrong: object
) -> None:
    event = copy.deepcopy(_request(spec, "/api/events")["example"])
    event[key] = wrong
    with pytest.raises(ValidationError):
        _validator(spec, {"$ref": "#/components/schemas/Event"}).validate(event)


def test_bulk_requires_at_least_one_event(spec: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _validator(spec, {"$ref": "#/components/schemas/BulkEvents"}).validate({"events": []})


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("IdentifyRequest", {"siteId", "sessionId", "userId", "distinctId", "identifyId"}),
        ("ResetRequest", {"siteId", "sessionId", "userId", "distinctId"}),
        ("WalletAddressRequest", {"siteId", "sessionId", "userId", "distinctId", "walletAddress"}),
    ],
)
def test_identity_bodies_are_camel_case_strings(
    spec: dict[str, Any], name: str, keys: set[str]
) -> None:
    schema = _schema(spec, name)
    assert set(schema["required"]) == set(schema["properties"]) == keys
    assert {p["type"] for p in schema["properties"].values()} == {"string"}


def test_response_schemas_tolerate_unknown_fields_and_use_no_enums(spec: dict[str, Any]) -> None:
    for name in ("SuccessResponse", "IdentifyResponse"):
        schema = _schema(spec, name)
        assert schema.get("additionalProperties", True) is not False
        assert all("enum" not in prop for prop in schema["properties"].values())
        _validator(spec, schema).validate({"success": True, "addedByANewerServer": [1, 2]})


def test_identify_response_may_carry_either_merged_id_name(spec: dict[str, Any]) -> None:
    schema = _schema(spec, "IdentifyResponse")
    assert {"newDistinctId", "distinctId"} <= set(schema["properties"])
    assert "required" not in schema


@pytest.mark.parametrize("path", OPERATIONS)
def test_every_operation_documents_its_error_answers(spec: dict[str, Any], path: str) -> None:
    responses = spec["paths"][path]["post"]["responses"]
    expected = {"200", "400", "401", "422", "429", "5XX"} | (
        {"413"} if path.startswith(("/api/events", *payloads.PROFILE_PREFIXES)) else set()
    )
    assert expected <= set(responses)
    rate_limited = spec["components"]["responses"]["RateLimited"]
    assert responses["429"] == {"$ref": "#/components/responses/RateLimited"}
    assert "Retry-After" in rate_limited["headers"]


# -- profiles, groups and upsert (protocol.md, key for key) ---------------------

# Every body key of each profile endpoint, as protocol.md's tables give them;
# all of them required, except upsert's three optional bags.
PROFILE_KEYS: dict[str, set[str]] = {
    "/api/sdk/people/set": {"properties"},
    "/api/sdk/people/set_once": {"properties"},
    "/api/sdk/people/unset": {"keys"},
    "/api/sdk/people/increment": {"key", "amount"},
    "/api/sdk/people/append": {"key", "values"},
    "/api/sdk/people/union": {"key", "values"},
    "/api/sdk/people/remove": {"key", "values"},
    "/api/sdk/people/track_charge": {"amount", "properties"},
    "/api/sdk/people/clear_charges": set(),
    "/api/sdk/people/delete_user": set(),
    **{path: {"groupKey", "groupId"} for path in payloads.GROUP_MEMBERSHIP_PATHS},
    "/api/sdk/groups/profile/set": {"groupKey", "groupId", "properties"},
    "/api/sdk/groups/profile/set_once": {"groupKey", "groupId", "properties"},
    "/api/sdk/groups/profile/union": {"groupKey", "groupId", "listName", "values"},
    "/api/sdk/groups/profile/remove": {"groupKey", "groupId", "listName", "value"},
    "/api/sdk/groups/profile/unset": {"groupKey", "groupId", "property"},
    "/api/sdk/groups/profile/increment": {"groupKey", "groupId", "property", "value"},
    "/api/sdk/groups/profile/append": {"groupKey", "groupId", "property", "value"},
    "/api/sdk/groups/profile/delete": {"groupKey", "groupId"},
}


def _body_schema(spec: dict[str, Any], path: str) -> dict[str, Any]:
    ref: str = _request(spec, path)["schema"]["$ref"]
    return _schema(spec, ref.rsplit("/", 1)[1])


def _check(spec: dict[str, Any], path: str, body: object) -> None:
    _validator(spec, _request(spec, path)["schema"]).validate(body)


@pytest.mark.parametrize("path", PROFILE_KEYS)
def test_people_and_group_bodies_have_exactly_the_protocol_keys_all_required(
    spec: dict[str, Any], path: str
) -> None:
    schema = _body_schema(spec, path)
    keys = {"siteId", "userId", *PROFILE_KEYS[path]}
    assert set(schema["properties"]) == set(schema["required"]) == keys
    assert schema["additionalProperties"] is False


def test_upsert_body_is_distinct_id_and_three_optional_bags_with_no_site_id(
    spec: dict[str, Any],
) -> None:
    schema = _body_schema(spec, payloads.UPSERT_PATH)
    assert set(schema["properties"]) == {"distinctId", "properties", "setOnce", "fixedProperties"}
    assert schema["required"] == ["distinctId"]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("path", PROFILE_PATHS)
def test_the_protocol_body_of_each_profile_endpoint_validates(
    spec: dict[str, Any], path: str
) -> None:
    _check(spec, path, payloads.VALID[path]())


@pytest.mark.parametrize(
    ("path", "key"),
    [(path, key) for path, keys in PROFILE_KEYS.items() for key in ("siteId", "userId", *keys)],
)
def test_a_profile_body_missing_any_key_is_rejected(
    spec: dict[str, Any], path: str, key: str
) -> None:
    body = {k: v for k, v in payloads.VALID[path]().items() if k != key}
    with pytest.raises(ValidationError, match=f"'{key}' is a required property"):
        _check(spec, path, body)


# (path, key, a value protocol.md does not allow there)
PROFILE_WRONG_VALUES = [
    ("/api/sdk/people/set", "userId", ""),
    ("/api/sdk/people/set", "siteId", 7),
    ("/api/sdk/people/set", "properties", None),
    ("/api/sdk/people/set", "properties", ["plan"]),
    ("/api/sdk/people/set_once", "properties", "plan=pro"),
    ("/api/sdk/people/unset", "keys", "trial_ends"),
    ("/api/sdk/people/unset", "keys", []),
    ("/api/sdk/people/unset", "keys", [""]),
    ("/api/sdk/people/unset", "keys", [3]),
    ("/api/sdk/people/increment", "key", ""),
    ("/api/sdk/people/increment", "amount", "1"),
    ("/api/sdk/people/increment", "amount", None),
    ("/api/sdk/people/append", "values", "pricing"),
    ("/api/sdk/people/union", "values", {"a": 1}),
    ("/api/sdk/people/remove", "key", None),
    ("/api/sdk/people/track_charge", "amount", "49.5"),
    ("/api/sdk/people/track_charge", "properties", None),
    ("/api/sdk/groups/set_group", "groupId", ""),
    ("/api/sdk/groups/set_group", "groupId", 42),
    ("/api/sdk/groups/set_group", "groupId", [42]),
    ("/api/sdk/groups/set_group", "groupId", ["acme", ""]),
    ("/api/sdk/groups/set_group", "groupKey", ""),
    ("/api/sdk/groups/add_group", "groupId", ["acme"]),
    ("/api/sdk/groups/remove_group", "groupId", ["acme"]),
    ("/api/sdk/groups/profile/set", "groupId", ["acme"]),
    ("/api/sdk/groups/profile/set", "properties", None),
    ("/api/sdk/groups/profile/union", "values", "eu"),
    ("/api/sdk/groups/profile/union", "listName", ""),
    ("/api/sdk/groups/profile/unset", "property", ["a"]),
    ("/api/sdk/groups/profile/increment", "value", "5"),
    ("/api/sdk/groups/profile/append", "property", ""),
    ("/api/sdk/groups/profile/delete", "groupKey", None),
    (payloads.UPSERT_PATH, "distinctId", ""),
    (payloads.UPSERT_PATH, "properties", None),
    (payloads.UPSERT_PATH, "setOnce", None),
    (payloads.UPSERT_PATH, "fixedProperties", None),
    (payloads.UPSERT_PATH, "fixedProperties", {"last_location_city": 7}),
    (payloads.UPSERT_PATH, "siteId", "site_123"),
]


@pytest.mark.parametrize(("path", "key", "wrong"), PROFILE_WRONG_VALUES)
def test_a_profile_body_with_a_value_the_protocol_does_not_allow_is_rejected(
    spec: dict[str, Any], path: str, key: str, wrong: object
) -> None:
    body = {**payloads.VALID[path](), key: wrong}
    with pytest.raises(ValidationError):
        _check(spec, path, body)


@pytest.mark.parametrize(
    "group_id", ["acme", ["acme"], ["acme", "globex"], []], ids=["one", "list1", "list2", "none"]
)
def test_set_group_takes_one_group_id_or_an_array_of_them(
    spec: dict[str, Any], group_id: object
) -> None:
    _check(spec, "/api/sdk/groups/set_group", {**payloads.GROUP, "groupId": group_id})


@pytest.mark.parametrize("value", ["us", 3, 2.5, None, True, ["a"], {"k": "v"}])
@pytest.mark.parametrize(
    "path", ["/api/sdk/groups/profile/remove", "/api/sdk/groups/profile/append"]
)
def test_group_profile_remove_and_append_take_any_json_value(
    spec: dict[str, Any], path: str, value: object
) -> None:
    _check(spec, path, {**payloads.VALID[path](), "value": value})


@pytest.mark.parametrize(
    "body",
    [
        {"distinctId": "user_42"},
        {"distinctId": "user_42", "properties": {}},
        {"distinctId": "user_42", "setOnce": {}, "fixedProperties": {}},
        {"distinctId": "user_42", "fixedProperties": {"browser": "Firefox"}},
    ],
    ids=["no-bag", "empty-bag", "empty-bags", "unknown-fixed-key-comes-back-skipped"],
)
def test_upsert_bags_are_optional_and_may_be_empty(spec: dict[str, Any], body: object) -> None:
    _check(spec, payloads.UPSERT_PATH, body)


def test_upsert_response_is_typed_open_and_uses_no_enums(spec: dict[str, Any]) -> None:
    answer = spec["paths"][payloads.UPSERT_PATH]["post"]["responses"]["200"]
    media = answer["content"]["application/json"]
    assert media["schema"] == {"$ref": "#/components/schemas/UpsertUserResponse"}
    schema = _schema(spec, "UpsertUserResponse")
    assert set(schema["properties"]) == {"success", "distinctId", "created", "applied", "skipped"}
    assert "required" not in schema
    validator = _validator(spec, schema)
    validator.validate(media["example"])
    validator.validate({**media["example"], "addedByANewerServer": {"x": 1}})
    for name in ("UpsertUserResponse", "UpsertApplied", "UpsertSkipped"):
        part = _schema(spec, name)
        assert part.get("additionalProperties", True) is not False
        assert "enum" not in str(part)


def test_generated_upsert_response_keeps_unknown_fields() -> None:
    from trodo_api.models import UpsertUserResponse

    answer = UpsertUserResponse.from_dict(
        {
            "success": True,
            "distinctId": "user_42",
            "created": True,
            "applied": {"properties": ["plan"], "fromTheFuture": ["x"]},
            "skipped": {"fixedProperties": {"browser": "BROWSER_ONLY_PROPERTY"}},
            "newField": 1,
        }
    )
    assert (answer.created, answer.distinct_id, answer.additional_properties) == (
        True,
        "user_42",
        {"newField": 1},
    )
    assert answer.applied.properties == ["plan"]  # type: ignore[union-attr]
    assert answer.applied.additional_properties == {"fromTheFuture": ["x"]}  # type: ignore[union-attr]
    assert answer.skipped.additional_properties == {  # type: ignore[union-attr]
        "fixedProperties": {"browser": "BROWSER_ONLY_PROPERTY"}
    }


def test_generated_upsert_request_leaves_out_bags_not_given() -> None:
    from trodo_api.models import ProfileProperties, UpsertUserRequest

    assert UpsertUserRequest(distinct_id="u").to_dict() == {"distinctId": "u"}
    empty = UpsertUserRequest(distinct_id="u", properties=ProfileProperties())
    assert empty.to_dict() == {"distinctId": "u", "properties": {}}


# -- server_error: the one automatic event --------------------------------------


def _server_error(**changes: Any) -> dict[str, Any]:
    return copy.deepcopy(_SERVER_ERROR) | changes


_SERVER_ERROR: dict[str, Any] = payloads.server_error()
ERROR_KEYS = ["error_type", "message", "stack", "runtime", "severity", "timestamp"]


def _check_event(spec: dict[str, Any], event: dict[str, Any]) -> None:
    _validator(spec, {"$ref": "#/components/schemas/Event"}).validate(event)
    _validator(spec, {"$ref": "#/components/schemas/BulkEvents"}).validate({"events": [event]})


@pytest.mark.parametrize("severity", ["critical", "error", "warning"])
def test_a_server_error_event_with_the_six_properties_validates(
    spec: dict[str, Any], severity: str
) -> None:
    event = _server_error()
    event["custom_properties"]["severity"] = severity
    _check_event(spec, event)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(_server_error(event_name="crash"), id="auto-not-named-server_error"),
        pytest.param(_server_error(event_category="custom"), id="auto-not-category-error"),
        pytest.param(_server_error(custom_properties={}), id="auto-without-properties"),
        *(
            pytest.param(
                _server_error(
                    custom_properties={
                        k: v for k, v in _SERVER_ERROR["custom_properties"].items() if k != key
                    }
                ),
                id=f"auto-without-{key}",
            )
            for key in ERROR_KEYS
        ),
        pytest.param(
            _server_error(
                custom_properties={**_SERVER_ERROR["custom_properties"], "severity": "info"}
            ),
            id="auto-with-unknown-severity",
        ),
        pytest.param(
            _server_error(custom_properties={**_SERVER_ERROR["custom_properties"], "stack": None}),
            id="auto-with-null-stack",
        ),
        pytest.param(
            _server_error(
                custom_properties={**_SERVER_ERROR["custom_properties"], "timestamp": "now"}
            ),
            id="auto-with-a-timestamp-that-is-not-one",
        ),
    ],
)
def test_a_malformed_automatic_event_is_rejected(
    spec: dict[str, Any], event: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        _validator(spec, {"$ref": "#/components/schemas/Event"}).validate(event)
    with pytest.raises(ValidationError):
        _validator(spec, {"$ref": "#/components/schemas/BulkEvents"}).validate({"events": [event]})


def test_custom_events_keep_free_form_properties(spec: dict[str, Any]) -> None:
    _check_event(spec, payloads.event("server_error", custom_properties={"severity": "info"}))
    _check_event(spec, payloads.event(custom_properties={}))


def test_generated_event_model_keeps_custom_properties_free_form() -> None:
    from trodo_api.models import CustomProperties, Event

    event = Event.from_dict(_server_error())
    assert isinstance(event.custom_properties, CustomProperties)
    assert event.custom_properties.additional_properties == _SERVER_ERROR["custom_properties"]
    assert event.to_dict() == _SERVER_ERROR
