"""Answers that are honest and visible: flush() and stats() mean the same in both modes,
a refused site id is seen by default, a wrong api_base is refused at construction,
configuration faults of the environment are reported once and retried, and the
proxy=, verify= and trust_env= options work as httpx's."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import trodo
from trodo.testing import MockTrodoServer

from .delivery_support import EVENTS, ErrorLog, names, trodo_warnings
from .relay_support import OPENSSL, forwarding_proxy, self_signed, tls_front

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_from_the_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set the environment httpx reads themselves."""
    for name in (*PROXY_VARIABLES, "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


# -- flush() and stats() ----------------------------------------------------------------


def test_with_batching_off_flush_says_false_when_an_event_was_given_up_since_the_last_flush(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client()
    client.track("user_42", "kept")
    assert client.flush() is True
    trodo_server.fail_next(status=400, path=EVENTS)
    client.track("user_42", "refused")
    client.track("user_42", "kept_too")
    assert client.flush() is False
    assert client.flush() is True  # nothing given up since the previous flush
    assert names(trodo_server.events) == ["kept", "kept_too"]


def test_the_async_client_with_batching_off_flushes_as_honestly(
    trodo_server: MockTrodoServer,
) -> None:
    async def scenario() -> list[bool]:
        async with trodo.AsyncTrodoClient(trodo_server.site_id, api_base=trodo_server.url) as c:
            trodo_server.fail_next(status=400, path=EVENTS)
            await c.track("user_42", "refused")
            return [await c.flush(), await c.flush()]

    assert asyncio.run(asyncio.wait_for(scenario(), 60)) == [False, True]


@pytest.mark.parametrize("batch_enabled", [False, True], ids=["direct", "batched"])
def test_stats_dropped_has_str_keys_and_no_empty_reasons_in_both_modes(
    trodo_server: MockTrodoServer, batch_enabled: bool
) -> None:
    client = trodo_server.client(batch_enabled=batch_enabled)
    trodo_server.fail_next(status=400, path="/api/events/bulk" if batch_enabled else EVENTS)
    client.track("user_42", "refused")
    client.flush(timeout=10)
    trodo_server.fail_next(status=422)
    client.identify("someone_else")  # fails, but loses no event
    dropped = client.stats().dropped
    assert dropped == {"rejected": 1}
    assert [type(key) for key in dropped] == [str]


@pytest.mark.parametrize("batch_enabled", [False, True], ids=["direct", "batched"])
def test_the_async_client_answers_flush_and_stats_the_same_in_both_modes(
    trodo_server: MockTrodoServer, batch_enabled: bool
) -> None:
    async def scenario() -> tuple[bool, dict[str, int], bool]:
        async with trodo.AsyncTrodoClient(
            trodo_server.site_id, api_base=trodo_server.url, batch_enabled=batch_enabled
        ) as client:
            trodo_server.fail_next(status=400, path="/api/events/bulk" if batch_enabled else EVENTS)
            await client.track("user_42", "refused")
            first = await client.flush(timeout=10)
            dropped = client.stats().dropped
            await client.track("user_42", "kept")
            return first, dropped, await client.flush(timeout=10)

    first, dropped, second = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert (first, second) == (False, True)
    assert dropped == {"rejected": 1}
    assert [type(key) for key in dropped] == [str]
    assert names(trodo_server.events) == ["kept"]


# -- a refused site id is visible by default ------------------------------------------


def test_an_unauthorized_site_id_warns_once_per_episode() -> None:
    with MockTrodoServer(check_site_id=True) as server:
        client = trodo.TrodoClient("wrong-site-id", api_base=server.url)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                for i in range(3):
                    client.track("user_42", f"lost{i}")
                server.check_site_id = False  # the server starts accepting it: episode over
                client.track("user_42", "accepted")
                server.check_site_id = True
                client.track("user_42", "lost_again")
        finally:
            client.shutdown()
    said = [w for w in caught if issubclass(w.category, trodo.TrodoWarning)]
    assert len(said) == 2
    assert all("site id" in str(w.message) for w in said)
    assert names(server.events) == ["accepted"]


@pytest.mark.parametrize("batched", [False, True], ids=["direct", "batched"])
def test_an_accepted_profile_write_ends_an_unauthorized_episode(batched: bool) -> None:
    with MockTrodoServer(check_site_id=True) as server:
        client = trodo.TrodoClient("wrong-site-id", api_base=server.url, batch_enabled=batched)
        user = client.for_user("user_42")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                user.people.set({"plan": "free"})
                client.flush(10)
                server.check_site_id = False  # a write is accepted: the episode is over
                user.people.set({"plan": "pro"})
                client.flush(10)
                server.check_site_id = True
                user.people.set({"plan": "team"})
                client.flush(10)
        finally:
            client.shutdown()
    said = [w for w in caught if issubclass(w.category, trodo.TrodoWarning)]
    assert len(said) == 2
    assert [u.body["properties"] for u in server.profile_updates] == [{"plan": "pro"}]


SCRIPT = """
import trodo
client = trodo.TrodoClient("wrong-site-id", api_base={url!r}, batch_enabled={batched})
for i in range(5):
    client.track("user_42", "lost")
client.shutdown()
print("done")
"""


@pytest.mark.parametrize("batched", [False, True], ids=["direct", "batched"])
def test_an_unauthorized_site_id_is_printed_by_default_without_any_logging_setup(
    batched: bool,
) -> None:
    with MockTrodoServer(check_site_id=True) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONWARN")}
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT.format(url=server.url, batched=batched)],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    assert done.stdout.strip() == "done"
    lines = [line for line in done.stderr.splitlines() if "TrodoWarning" in line]
    assert len(lines) == 1, done.stderr
    assert "wrong-site-id" not in done.stderr


# -- api_base --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "api_base",
    [
        "127.0.0.1:8787",
        "localhost:8787",
        "sdkapi.trodo.ai",
        "ftp://sdkapi.trodo.ai",
        "http://",
        "https:///x",
        "http://host:port",
    ],
)
def test_an_api_base_without_http_scheme_or_host_is_refused_at_construction(
    api_base: str,
) -> None:
    with pytest.raises(ValueError, match="api_base") as raised:
        trodo.TrodoClient("site_1", api_base=api_base)
    assert repr(api_base) in str(raised.value)


def test_an_api_base_from_the_environment_is_checked_the_same_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRODO_API_BASE", "127.0.0.1:8787")
    with pytest.raises(ValueError, match="TRODO_API_BASE"):
        trodo.TrodoClient("site_1")


# -- configuration faults from the environment -------------------------------------------


def config_faults(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    said = [r for r in caplog.records if r.name == "trodo" and r.levelno >= logging.ERROR]
    return [r for r in said if "configuration" in r.getMessage()]


@pytest.mark.parametrize(
    ("variable", "value", "cause"),
    [
        ("ALL_PROXY", "http://[::1", "Invalid port"),
        ("HTTP_PROXY", "ftp://proxy.internal", "Unknown scheme"),
        ("SSL_CERT_FILE", "/nonexistent/ca.pem", "No such file"),
    ],
    ids=["unparsable-proxy", "unsupported-proxy", "missing-ca-file"],
)
@pytest.mark.parametrize("batch_enabled", [False, True], ids=["direct", "batched"])
def test_a_configuration_fault_is_reported_once_and_retried_as_unreachable(
    trodo_server: MockTrodoServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    variable: str,
    value: str,
    cause: str,
    batch_enabled: bool,
) -> None:
    monkeypatch.setenv(variable, value)
    errors = ErrorLog()
    with trodo_warnings() as said:
        client = trodo_server.client(
            batch_enabled=batch_enabled, timeout=0.5, retries=1, retry_budget=0.5, on_error=errors
        )
        for i in range(3):
            client.track("user_42", f"e{i}")
        assert client.flush(timeout=30) is False
    [warning] = said
    assert "configuration is broken" in warning
    assert cause in warning
    assert set(errors.reasons()) == {"gave_up"}
    assert sum(e.count for e in errors.errors) == 3
    [said] = config_faults(caplog)
    assert variable in said.getMessage()
    assert cause in said.getMessage()
    assert trodo_server.requests == []


def test_trust_env_false_ignores_the_environment(
    trodo_server: MockTrodoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALL_PROXY", "http://[::1")
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    client = trodo_server.client(trust_env=False)
    client.track("user_42", "direct_to_server")
    assert names(trodo_server.events) == ["direct_to_server"]


# -- proxy= and verify= --------------------------------------------------------------------


def test_the_proxy_option_sends_every_request_through_the_proxy(
    trodo_server: MockTrodoServer,
) -> None:
    with forwarding_proxy(trodo_server.url) as proxy:
        client = trodo_server.client(proxy=proxy.url)
        client.track("user_42", "proxied")
        client.identify("db_1")
    assert names(trodo_server.events) == ["proxied"]
    assert len(proxy.seen) == len(trodo_server.requests) >= 3
    assert all(seen.startswith(trodo_server.url) for seen in proxy.seen)


def test_the_proxy_environment_variables_are_honoured(
    trodo_server: MockTrodoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with forwarding_proxy(trodo_server.url) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        client = trodo_server.client()
        client.track("user_42", "via_env")
    assert names(trodo_server.events) == ["via_env"]
    assert proxy.seen


def test_no_proxy_from_the_environment_sends_those_hosts_directly(
    trodo_server: MockTrodoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = trodo_server.client()
    client.track("user_42", "not_proxied")
    assert names(trodo_server.events) == ["not_proxied"]


def test_a_proxy_that_cannot_be_reached_is_retried_then_given_up(
    trodo_server: MockTrodoServer,
) -> None:
    errors = ErrorLog()
    client = trodo_server.client(proxy="http://127.0.0.1:9", timeout=0.5, on_error=errors)
    client.track("user_42", "lost")
    assert errors.reasons() == ["gave_up"]


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"proxy": "proxy.internal:3128"}, ValueError),
        ({"proxy": 3128}, TypeError),
        ({"verify": "/nonexistent/ca.pem"}, ValueError),
        ({"verify": 1}, TypeError),
        ({"trust_env": "no"}, TypeError),
    ],
)
def test_wrong_proxy_verify_or_trust_env_options_are_refused_at_construction(
    options: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error, match=next(iter(options))):
        trodo.TrodoClient("site_1", api_base="http://127.0.0.1:9", **options)  # type: ignore[arg-type]


needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if OPENSSL is None:
        pytest.skip("the openssl command is not installed")
    return self_signed(tmp_path_factory.mktemp("tls"))


@needs_openssl
def test_verify_with_a_ca_bundle_path_trusts_that_certificate(
    trodo_server: MockTrodoServer, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    with tls_front(trodo_server.url, cert, key) as front:
        errors = ErrorLog()
        untrusted = trodo.TrodoClient(
            trodo_server.site_id, api_base=front.url, timeout=1, on_error=errors
        )
        untrusted.track("user_42", "refused_certificate")
        untrusted.shutdown()
        context = ssl.create_default_context(cafile=str(cert))
        for verify in (str(cert), context, False):
            client = trodo.TrodoClient(trodo_server.site_id, api_base=front.url, verify=verify)
            client.track("user_42", f"verify_{type(verify).__name__}")
            client.shutdown()
    assert errors.reasons() == ["gave_up"]
    assert names(trodo_server.events) == ["verify_str", "verify_SSLContext", "verify_bool"]


@needs_openssl
def test_ssl_cert_file_from_the_environment_is_honoured(
    trodo_server: MockTrodoServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with tls_front(trodo_server.url, cert, key) as front:
        client = trodo.TrodoClient(trodo_server.site_id, api_base=front.url)
        client.track("user_42", "trusted_by_env")
        client.shutdown()
    assert names(trodo_server.events) == ["trusted_by_env"]


# -- the testing fixture with default options -------------------------------------------


def test_the_readme_recipe_wait_for_events_works_with_default_batching_options(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(batch_enabled=True)
    for name in ("a", "b", "c"):
        client.track("user_42", name)
    assert names(trodo_server.wait_for_events(3)) == ["a", "b", "c"]
