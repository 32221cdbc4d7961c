"""The site id never appears in full: not in reprs, logs (debug included), errors or
exceptions, even when a server echoes it back in an answer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

import trodo
from trodo.testing import Answer, MockTrodoServer

from .delivery_support import ErrorLog

SITE = "site_7f3e9a1c5b2d4e6f8a0b"  # long enough that a masked form is clearly not it


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def server_for(site: str = SITE) -> MockTrodoServer:
    return MockTrodoServer(site_id=site)


def test_the_config_repr_masks_the_site_id() -> None:
    client = trodo.TrodoClient(SITE, api_base="http://127.0.0.1:9")
    try:
        shown = repr(client.config)
        assert SITE not in shown
        assert "site_id='site…'" in shown
        assert SITE not in repr(client)
        assert SITE not in str(client.config)
    finally:
        client.shutdown()


def test_no_repr_of_either_client_or_its_parts_shows_the_site_id() -> None:
    client = trodo.TrodoClient(SITE, api_base="http://127.0.0.1:9")

    async def async_reprs() -> list[str]:
        async with trodo.AsyncTrodoClient(SITE, api_base="http://127.0.0.1:9") as other:
            return [repr(other), repr(other.config), repr(other.for_user("user_42"))]

    try:
        shown = [
            repr(client),
            repr(client.for_user("user_42", session_id="s1")),
            repr(client.api_client),
            repr(client.stats()),
            *asyncio.run(async_reprs()),
        ]
    finally:
        client.shutdown()
    assert all(SITE not in text for text in shown), shown


def test_the_config_repr_masks_proxy_credentials() -> None:
    client = trodo.TrodoClient(
        SITE, api_base="http://127.0.0.1:9", proxy="http://user:s3cret@127.0.0.1:3128"
    )
    try:
        assert "s3cret" not in repr(client.config)
    finally:
        client.shutdown()


@pytest.mark.parametrize("batch_enabled", [False, True], ids=["direct", "batched"])
def test_a_server_echoing_the_site_id_in_a_4xx_body_does_not_leak_it(
    caplog: pytest.LogCaptureFixture, batch_enabled: bool
) -> None:
    caplog.set_level(logging.DEBUG, logger="trodo")
    errors = ErrorLog()
    with server_for() as server:
        server.respond_with(
            lambda path, body: Answer(400, {"error": f"site {SITE} has no such event"}),
            path="/api/events/bulk" if batch_enabled else "/api/events",
        )
        client = server.client(batch_enabled=batch_enabled, on_error=errors, debug=True)
        client.track("user_42", "refused")
        client.flush(timeout=10)
    [error] = errors.errors
    assert error.reason == "rejected"
    assert "has no such event" in error.detail  # the body is still there, masked
    assert SITE not in error.detail
    assert SITE not in str(error)
    assert SITE not in repr(error)
    assert "has no such event" in everything_logged(caplog)
    assert SITE not in everything_logged(caplog)


def test_debug_logging_masks_the_site_id_beyond_the_first_300_bytes_of_a_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="trodo")
    with server_for() as server:
        # A long browser session id pushes siteId across the preview's first 300 bytes.
        server.respond_with(
            lambda path, body: Answer(200, {"success": True, "pad": "p" * 290, "echo": SITE})
        )
        client = server.client(debug=True)
        for pad in range(250, 330, 4):
            client.for_user(f"user_{pad}", session_id="s" * pad).identify("db_1")
    logged = everything_logged(caplog)
    assert "trodo ->" in logged
    assert "trodo <-" in logged
    assert SITE[:8] not in logged  # not even the part before a preview's cut


def test_the_unauthorized_warning_and_log_mask_the_site_id(
    caplog: pytest.LogCaptureFixture, recwarn: pytest.WarningsRecorder
) -> None:
    with MockTrodoServer(check_site_id=True) as server:
        client = trodo.TrodoClient(SITE, api_base=server.url)
        try:
            client.track("user_42", "e")
        finally:
            client.shutdown()
    said = [str(w.message) for w in recwarn] + [everything_logged(caplog)]
    assert any("site…" in text for text in said)
    assert all(SITE not in text for text in said)


@pytest.mark.parametrize("bad", [f"{SITE}\n", f"{SITE} x", f"{SITE}é"])
def test_a_site_id_that_cannot_be_sent_is_refused_without_showing_it(bad: str) -> None:
    with pytest.raises(ValueError, match="site_id") as raised:
        trodo.TrodoClient(bad, api_base="http://127.0.0.1:9")
    assert SITE not in str(raised.value)


def test_on_error_details_of_identify_failures_are_masked() -> None:
    seen: list[Any] = []
    with server_for() as server:
        server.fail_next(status=422, body={"error": f"{SITE} is not a valid target"})
        client = server.client(on_error=seen.append)
        client.identify("db_1")
    [error] = seen
    assert SITE not in error.detail
    assert "not a valid target" in error.detail
