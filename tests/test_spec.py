"""openapi/trodo.yaml says exactly what the Trodo protocol says."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import validate

OPERATIONS = {
    "/api/sdk/track": "registerSession",
    "/api/events": "trackEvent",
    "/api/events/bulk": "trackEventsBulk",
    "/api/sdk/identify": "identify",
    "/api/sdk/reset": "reset",
    "/api/sdk/wallet-address": "setWalletAddress",
}


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


def test_spec_has_exactly_the_six_post_operations(spec: dict[str, Any]) -> None:
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
        {"413"} if path.startswith("/api/events") else set()
    )
    assert expected <= set(responses)
    rate_limited = spec["components"]["responses"]["RateLimited"]
    assert responses["429"] == {"$ref": "#/components/responses/RateLimited"}
    assert "Retry-After" in rate_limited["headers"]
