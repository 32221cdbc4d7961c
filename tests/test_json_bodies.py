"""Request bodies: encoded by orjson when it can, byte for byte like httpx when it cannot."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

import trodo
from trodo._wire import httpx_clients as _http
from trodo.testing import MockTrodoServer

PAYLOADS: list[Any] = [
    {"events": [{"event_name": "purchase", "custom_properties": {"amount": 49.5}}]},
    {"name": "café ☕ 東京", "quote": 'say "hi"\n\t\\', "control": "\x00\x1f"},
    {"nested": {"list": [1, 2.25, None, True, False, "x"], "empty": {}}, "none": None},
    {
        "int": -(2**63),
        "max": 2**64 - 1,
        "float": 1.5,
        "tiny": 5e-324,
        "big": 1.7976931348623157e308,
    },
    [],
    "text",
]

# 1e-07 is the same number in both encodings, spelled differently: it tells
# which encoder wrote a body.
STDLIB_SPELLING = b'{"v":1e-07}'
ORJSON_SPELLING = b'{"v":1e-7}'


def _httpx_encoding(value: Any) -> bytes:
    return httpx.Request("POST", "http://trodo.test/", json=value).content


@pytest.mark.parametrize("payload", PAYLOADS)
def test_bodies_decode_to_the_value_given(payload: Any) -> None:
    assert json.loads(_http.dumps(payload)) == payload


def test_bodies_are_compact_utf8_with_unescaped_text() -> None:
    assert _http.dumps({"a": [1, 2], "b": "é"}) == '{"a":[1,2],"b":"é"}'.encode()


def test_an_int_beyond_64_bits_is_encoded_by_the_standard_library() -> None:
    assert (
        _http.dumps({"n": 2**70, "m": -(2**65)})
        == b'{"n":1180591620717411303424,"m":-36893488147419103232}'
    )


@pytest.mark.parametrize("payload", [*PAYLOADS, {"n": 2**70}])
def test_without_orjson_bodies_are_byte_for_byte_what_httpx_sends(
    payload: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_http, "_fast_dumps", None)
    assert _http.dumps(payload) == _httpx_encoding(payload)


def test_a_value_json_cannot_carry_still_raises_type_error() -> None:
    with pytest.raises(TypeError):
        _http.dumps({"when": object()})


def test_a_json_body_becomes_content_with_the_json_content_type() -> None:
    with _http.JsonClient(base_url="http://trodo.test") as client:
        request = client.build_request("POST", "/api/events", json={"v": 1e-7})
    assert request.content == ORJSON_SPELLING
    assert request.headers["content-type"] == "application/json"
    assert request.headers["content-length"] == str(len(ORJSON_SPELLING))


def test_a_content_type_given_by_the_caller_is_kept() -> None:
    with _http.JsonClient() as client:
        headers = {"Content-Type": "application/vnd.trodo+json"}
        request = client.build_request("POST", "http://trodo.test/", json={}, headers=headers)
    assert request.headers["content-type"] == "application/vnd.trodo+json"


def test_explicit_content_wins_over_json_as_in_httpx() -> None:
    with _http.JsonClient() as client:
        request = client.build_request("POST", "http://trodo.test/", content=b"raw", json={"a": 1})
    assert request.content == b"raw"


def test_the_async_client_encodes_json_bodies_the_same_way() -> None:
    client = _http.AsyncJsonClient(base_url="http://trodo.test")
    request = client.build_request("POST", "/api/events", json={"v": 1e-7})
    assert request.content == ORJSON_SPELLING


def test_the_generated_client_of_trodo_client_sends_bodies_through_orjson() -> None:
    with trodo.TrodoClient("site", api_base="http://trodo.test") as client:
        http_client = client.api_client.get_httpx_client()
        request = http_client.build_request("POST", "/api/events", json={"v": 1e-7})
    assert request.content == ORJSON_SPELLING


def test_the_generated_client_of_async_trodo_client_sends_bodies_through_orjson() -> None:
    async def build() -> httpx.Request:
        async with trodo.AsyncTrodoClient("site", api_base="http://trodo.test") as client:
            http_client = client.api_client.get_async_httpx_client()
            return http_client.build_request("POST", "/api/events", json={"v": 1e-7})

    assert asyncio.run(build()).content == ORJSON_SPELLING


def test_without_orjson_bodies_are_written_as_httpx_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_http, "_fast_dumps", None)
    with _http.JsonClient() as client:
        request = client.build_request("POST", "http://trodo.test/", json={"v": 1e-7})
    assert request.content == STDLIB_SPELLING


def test_an_event_with_a_huge_int_property_is_delivered_intact(
    trodo_server: MockTrodoServer,
) -> None:
    with trodo_server.client(batch_enabled=True) as client:
        client.track("user_42", "ledger_entry", {"wei": 10**30, "n": 1})
        client.track("user_42", "ledger_entry", {"wei": 1, "n": 2})
        assert client.flush(timeout=10)
    assert [e["custom_properties"] for e in trodo_server.events] == [
        {"wei": 10**30, "n": 1},
        {"wei": 1, "n": 2},
    ]
