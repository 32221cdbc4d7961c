"""How every answer and fault is classified for delivery."""

from __future__ import annotations

import email.utils
import json

import httpx
import pytest

from trodo._core.answers import Outcome
from trodo._core.config import mask
from trodo._core.retry import classify, retry_after_seconds
from trodo._wire.transport_base import classify_error


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.OK),
        (202, Outcome.OK),
        (400, Outcome.REJECTED),
        (422, Outcome.REJECTED),
        (401, Outcome.UNAUTHORIZED),
        (403, Outcome.UNAUTHORIZED),
        (413, Outcome.TOO_LARGE),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (520, Outcome.RETRY),
    ],
)
def test_status_codes_map_to_the_protocol_outcomes(status: int, outcome: Outcome) -> None:
    assert classify(status, {}).outcome is outcome


def test_retry_after_in_seconds_is_carried_on_the_answer() -> None:
    answer = classify(429, {"retry-after": "3"})
    assert answer.retry_after == 3.0


def test_retry_after_as_an_http_date_becomes_seconds_from_now() -> None:
    now = 1_800_000_000.0
    header = email.utils.formatdate(now + 7, usegmt=True)
    assert retry_after_seconds(header, now=now) == pytest.approx(7.0)


@pytest.mark.parametrize("header", ["soon", "", None])
def test_unparseable_retry_after_is_ignored(header: str | None) -> None:
    assert retry_after_seconds(header) is None


def test_error_detail_names_the_status_and_the_start_of_the_body() -> None:
    answer = classify(400, {}, b'{"error": "event_name is required"}')
    assert answer.detail == 'HTTP 400: {"error": "event_name is required"}'


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
    ],
)
def test_network_faults_are_transient(exc: Exception) -> None:
    assert classify_error(exc, None).outcome is Outcome.RETRY


def test_a_non_json_2xx_body_still_counts_as_accepted() -> None:
    # The generated client raises JSONDecodeError; the kept response decides.
    response = httpx.Response(200, text="OK")
    error = json.JSONDecodeError("Expecting value", "OK", 0)
    assert classify_error(error, response).outcome is Outcome.OK


def test_a_status_outside_http_status_is_classified_by_its_number() -> None:
    # openapi-python-client #1442: HTTPStatus(520) raises ValueError.
    response = httpx.Response(520, text="origin error")
    assert classify_error(ValueError("520 is not a valid HTTPStatus"), response).outcome is (
        Outcome.RETRY
    )


def test_site_ids_are_masked_in_logs() -> None:
    assert mask("site_abcdef123") == "site…"
    assert "abcdef" not in mask("site_abcdef123")
