"""The module-level helpers (`trodo.init`, `trodo.track`, ...) over one default client."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

import trodo
from trodo.testing import MockTrodoServer

pytestmark = pytest.mark.usefixtures("default_client")


def _scenario(
    for_user: Callable[..., trodo.UserContext],
    track: Callable[..., None],
    wallet_address: Callable[[str, str], bool],
    capture_error: Callable[..., None],
    reset: Callable[[str], bool],
) -> None:
    user = for_user("anon_1", "browser-1")
    user.track("viewed", {"page": "/pricing"})
    user.identify("db_1")
    track("anon_1", "purchased", {"amount": 9.5}, "billing")
    wallet_address("anon_1", "0xabc")
    capture_error("anon_1", KeyError("sku"), "warning")
    reset("anon_1")
    track("anon_1", "after_reset")


def _normalised(server: MockTrodoServer) -> list[tuple[str, Any]]:
    """Requests with the values that differ run to run (ids, clocks) replaced."""
    names: dict[str, str] = {}

    def scrub(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: scrub(v, k) for k, v in value.items()}
        if key in ("session_id", "sessionId") and isinstance(value, str):
            return names.setdefault(value, f"session-{len(names)}")
        if key in ("start_time", "last_activity", "timestamp", "stack"):
            return "<varies>"
        return value

    return [(r.path, scrub(r.json)) for r in server.requests]


def test_helpers_and_an_explicit_client_send_the_same_requests() -> None:
    with MockTrodoServer() as via_helpers, MockTrodoServer() as via_client:
        trodo.init(site_id="site_same", api_base=via_helpers.url)
        _scenario(
            trodo.for_user, trodo.track, trodo.wallet_address, trodo.capture_error, trodo.reset
        )
        trodo.shutdown()
        client = trodo.TrodoClient("site_same", api_base=via_client.url)
        _scenario(
            client.for_user,
            client.track,
            client.wallet_address,
            client.capture_error,
            client.reset,
        )
        client.shutdown()
        assert len(via_helpers.requests) == 9
        assert _normalised(via_helpers) == _normalised(via_client)
        assert via_helpers.violations == via_client.violations == []


def test_helpers_before_init_raise_naming_trodo_init() -> None:
    with pytest.raises(RuntimeError, match=r"trodo\.init\(site_id=\.\.\.\)"):
        trodo.track("user_1", "signed_up")
    with pytest.raises(RuntimeError, match=r"trodo\.init"):
        trodo.flush()


def test_init_returns_the_default_client(trodo_server: MockTrodoServer) -> None:
    client = trodo.init(site_id=trodo_server.site_id, api_base=trodo_server.url)
    assert trodo.get_client() is client
    assert trodo.for_user("u") is client.for_user("u")


def test_init_takes_site_id_and_api_base_from_the_environment(
    trodo_server: MockTrodoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRODO_SITE_ID", trodo_server.site_id)
    monkeypatch.setenv("TRODO_API_BASE", trodo_server.url)
    trodo.init()
    trodo.track("user_42", "from_env")
    assert [e["event_name"] for e in trodo_server.events] == ["from_env"]
    assert trodo_server.requests[-1].site_id == trodo_server.site_id


def test_a_second_init_flushes_and_shuts_down_the_previous_client(
    trodo_server: MockTrodoServer,
) -> None:
    first = trodo.init(
        site_id=trodo_server.site_id,
        api_base=trodo_server.url,
        batch_enabled=True,
        batch_flush_interval=60.0,
    )
    trodo.track("user_42", "queued_in_first")
    second = trodo.init(site_id=trodo_server.site_id, api_base=trodo_server.url)
    assert trodo.get_client() is second
    assert "closed" in repr(first)
    assert [e["event_name"] for e in trodo_server.events] == ["queued_in_first"]


def test_flush_and_shutdown_helpers_deliver_queued_events(trodo_server: MockTrodoServer) -> None:
    trodo.init(
        site_id=trodo_server.site_id,
        api_base=trodo_server.url,
        batch_enabled=True,
        batch_flush_interval=60.0,
    )
    trodo.track_event("user_42", "one")
    assert trodo.flush(10) is True
    trodo.track("user_42", "two")
    trodo.shutdown()
    assert [e["event_name"] for e in trodo_server.events] == ["one", "two"]


def test_module_auto_event_helpers_install_and_restore_the_hooks(
    trodo_server: MockTrodoServer,
) -> None:
    before = sys.excepthook
    trodo.init(site_id=trodo_server.site_id, api_base=trodo_server.url)
    trodo.enable_auto_events()
    assert sys.excepthook is not before
    trodo.disable_auto_events()
    assert sys.excepthook is before


def _run(code: str, server: MockTrodoServer) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={"TRODO_SITE_ID": server.site_id, "TRODO_API_BASE": server.url, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("batching", [False, True])
def test_an_uncaught_exception_is_sent_as_a_critical_server_error(
    trodo_server: MockTrodoServer, batching: bool
) -> None:
    result = _run(
        f"""
        import trodo
        trodo.init(auto_events=True, batch_enabled={batching})
        raise LookupError("order 17 not found")
        """,
        trodo_server,
    )
    assert result.returncode == 1
    assert "LookupError: order 17 not found" in result.stderr  # the default hook still ran
    [event] = trodo_server.events
    props = event["custom_properties"]
    assert (event["event_name"], event["user_id"]) == ("server_error", "server")
    assert (props["error_type"], props["severity"]) == ("LookupError", "critical")
    assert "order 17 not found" in props["stack"]


def test_an_uncaught_exception_in_a_thread_is_sent_and_the_thread_hook_still_runs(
    trodo_server: MockTrodoServer,
) -> None:
    result = _run(
        """
        import threading, trodo
        trodo.init(auto_events=True)
        def work():
            raise ConnectionError("queue broker gone")
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        trodo.shutdown()
        """,
        trodo_server,
    )
    assert result.returncode == 0
    assert "ConnectionError: queue broker gone" in result.stderr
    assert [e["custom_properties"]["error_type"] for e in trodo_server.events] == [
        "ConnectionError"
    ]
