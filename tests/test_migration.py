"""Moving from trodo-python: the vendor's names and options work, and each remaining
difference in the README's "Moving from trodo-python" table is what this suite shows.
"""

from __future__ import annotations

import asyncio
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import trodo
from trodo.testing import MockTrodoServer

SITE = "test-site"


@pytest.fixture(scope="module")
def server() -> Iterator[MockTrodoServer]:
    with MockTrodoServer(site_id=SITE) as mock:
        yield mock


@pytest.fixture
def mock(server: MockTrodoServer) -> MockTrodoServer:
    server.clear()
    return server


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The once-per-process tracing warning, as in a new process."""
    from trodo._core import vendor_options

    monkeypatch.setattr(vendor_options, "_warned", set())


# -- wallet_addr= ------------------------------------------------------------------------


def test_wallet_address_takes_the_vendors_keyword_wallet_addr(mock: MockTrodoServer) -> None:
    with trodo.TrodoClient(SITE, api_base=mock.url) as client:
        assert client.for_user("u1").wallet_address(wallet_addr="0xaaa") is True
        assert client.wallet_address("u2", wallet_addr="0xbbb") is True
        assert client.wallet_address("u3", "0xccc") is True
    assert [w["walletAddress"] for w in mock.wallet_addresses] == ["0xaaa", "0xbbb", "0xccc"]


def test_module_wallet_address_takes_wallet_addr(
    mock: MockTrodoServer, default_client: None
) -> None:
    trodo.init(SITE, api_base=mock.url)
    assert trodo.wallet_address("u1", wallet_addr="0xaaa") is True
    assert mock.wallet_addresses[0]["walletAddress"] == "0xaaa"


def test_async_wallet_address_takes_wallet_addr(mock: MockTrodoServer) -> None:
    async def scenario() -> None:
        async with trodo.AsyncTrodoClient(SITE, api_base=mock.url) as client:
            assert await client.wallet_address("u1", wallet_addr="0xaaa") is True
            assert await client.for_user("u2").wallet_address(wallet_addr="0xbbb") is True

    asyncio.run(scenario())
    assert [w["walletAddress"] for w in mock.wallet_addresses] == ["0xaaa", "0xbbb"]


def test_wallet_address_with_both_names_or_neither_is_a_type_error(mock: MockTrodoServer) -> None:
    with trodo.TrodoClient(SITE, api_base=mock.url) as client:
        with pytest.raises(TypeError, match="address"):
            client.wallet_address("u1", "0xaaa", wallet_addr="0xbbb")
        with pytest.raises(TypeError, match="address"):
            client.for_user("u1").wallet_address()
    assert mock.requests == []


# -- the vendor's LLM-tracing options ----------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"auto_instrument": False},
        {"auto_instrument": False, "disable_instrumentations": ["openai"], "otel_mode": "trodo"},
        {"delivery": "background", "delivery_options": {"flush_interval_s": 1}},
        {"delivery": "immediate"},
        {"delivery": "auto"},
        {"disable_instrumentations": []},
    ],
    ids=["auto_instrument-off", "all-off", "delivery-background", "immediate", "auto", "none-off"],
)
def test_vendor_tracing_options_that_ask_for_no_tracing_are_accepted_silently(
    mock: MockTrodoServer,
    fresh_warnings: None,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, Any],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cls in (trodo.TrodoClient, trodo.AsyncTrodoClient):
            client = cls(SITE, api_base=mock.url, **options)
            assert client.config.batch_enabled is False  # delivery= is the vendor's trace delivery
            result = client.shutdown()
            if asyncio.iscoroutine(result):
                asyncio.run(result)
    assert [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")] == []


@pytest.mark.parametrize(
    "options",
    [{"auto_instrument": True}, {"otel_mode": "otlp"}],
    ids=["auto_instrument-on", "otel_mode-otlp"],
)
def test_a_vendor_option_asking_for_llm_tracing_warns_once_that_it_is_not_included(
    mock: MockTrodoServer, fresh_warnings: None, options: dict[str, Any]
) -> None:
    with pytest.warns(trodo.TrodoWarning, match="LLM tracing") as caught:
        trodo.TrodoClient(SITE, api_base=mock.url, **options).shutdown()
    assert len(caught) == 1
    assert caught[0].filename == __file__  # it points at the caller's line, not into trodo
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trodo.TrodoClient(SITE, api_base=mock.url, **options).shutdown()  # once per process


def test_init_accepts_the_vendors_options(
    mock: MockTrodoServer, default_client: None, fresh_warnings: None
) -> None:
    client = trodo.init(
        SITE,
        api_base=mock.url,
        auto_instrument=False,
        disable_instrumentations=None,
        otel_mode="trodo",
        delivery="auto",
        delivery_options=None,
    )
    assert client is trodo.get_client()


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"delivery": "eventually"}, ValueError),
        ({"otel_mode": "zipkin"}, ValueError),
        ({"delivery_options": ["flush_at"]}, TypeError),
        ({"disable_instrumentations": "openai"}, TypeError),
        ({"auto_instrument": "yes"}, TypeError),
    ],
)
def test_a_vendor_option_of_the_wrong_kind_is_refused(
    options: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error, match=next(iter(options))):
        trodo.TrodoClient(SITE, **options)


def test_the_vendor_options_are_in_the_one_options_schema() -> None:
    names = set(trodo.ClientOptions.__annotations__)
    assert {
        "auto_instrument",
        "disable_instrumentations",
        "otel_mode",
        "delivery",
        "delivery_options",
    } <= names


# -- auto events on the user context -------------------------------------------------------


def test_a_user_context_turns_auto_events_on_and_off_as_the_vendors_does(
    mock: MockTrodoServer,
) -> None:
    import sys

    with trodo.TrodoClient(SITE, api_base=mock.url) as client:
        before = sys.excepthook
        client.for_user("u").enable_auto_events()
        assert sys.excepthook is not before
        client.for_user("v").disable_auto_events()
        assert sys.excepthook is before


def test_an_async_user_context_turns_auto_events_on_and_off(mock: MockTrodoServer) -> None:
    import sys

    async def scenario() -> None:
        async with trodo.AsyncTrodoClient(SITE, api_base=mock.url) as client:
            before = sys.excepthook
            client.for_user("u").enable_auto_events()
            assert sys.excepthook is not before
            client.for_user("u").disable_auto_events()
            assert sys.excepthook is before

    asyncio.run(scenario())


# -- the differences the README's table lists ------------------------------------------------


def test_difference_session_ids_are_new_uuids_not_server_colon_distinct_id(
    mock: MockTrodoServer,
) -> None:
    with trodo.TrodoClient(SITE, api_base=mock.url) as client:
        client.track("user_42", "e")
    session_id = mock.sessions[0]["session_id"]
    assert session_id != "server:user_42"
    assert str(uuid.UUID(session_id)) == session_id


def test_difference_events_carry_the_optional_timestamp_key(mock: MockTrodoServer) -> None:
    with trodo.TrodoClient(SITE, api_base=mock.url) as client:
        client.track("user_42", "e")
    assert "timestamp" in mock.events[0]


def test_difference_uncaught_exceptions_default_to_distinct_id_server(
    mock: MockTrodoServer,
) -> None:
    client = trodo.TrodoClient(SITE, api_base=mock.url)
    assert client.config.auto_events_distinct_id == "server"  # the vendor's is "server_global"
    client.shutdown()
    legacy = trodo.TrodoClient(SITE, api_base=mock.url, auto_events_distinct_id="server_global")
    assert legacy.config.auto_events_distinct_id == "server_global"
    legacy.shutdown()


def test_difference_return_values_are_typed_not_the_servers_dict(mock: MockTrodoServer) -> None:
    with trodo.TrodoClient(SITE, api_base=mock.url) as client:
        user = client.for_user("user_42")
        assert isinstance(user.identify("db_1"), trodo.IdentifyResult)
        assert user.wallet_address("0xabc") is True
        assert isinstance(user.people.set({"a": 1}), trodo.WriteResult)
        assert isinstance(client.upsert_user("user_42"), trodo.UpsertResult)
        assert user.reset() is True
        assert client.flush() is True  # the vendor's flush() returns None


@pytest.mark.parametrize(
    "name",
    [
        "wrap_agent",
        "agent",
        "span",
        "tool",
        "trace",
        "llm",
        "retrieval",
        "join_run",
        "start_run",
        "end_run",
        "track_llm_call",
        "track_mcp",
        "feedback",
        "get_tracer",
        "register_otel",
        "fastapi_middleware",
        "propagation_headers",
        "current_run_id",
        "current_span_id",
        "get_prompt",
        "list_prompts",
        "compile_prompt",
        "render_template",
        "append_dataset",
        "export_dataset",
        "ingest_experiment",
        "create_experiment",
        "run_experiment",
        "get_experiment",
        "wait_experiment",
        "compare_experiments",
    ],
)
def test_difference_llm_tracing_prompts_datasets_experiments_raise_a_clear_attribute_error(
    name: str,
) -> None:
    with pytest.raises(AttributeError, match=f"trodo.{name} .*not included"):
        getattr(trodo, name)


@pytest.mark.parametrize("name", ["prompts", "datasets", "experiments", "wrap_agent", "feedback"])
def test_difference_the_clients_llm_features_raise_a_clear_attribute_error(
    mock: MockTrodoServer, name: str
) -> None:
    with (
        trodo.TrodoClient(SITE, api_base=mock.url) as client,
        pytest.raises(AttributeError, match="not included"),
    ):
        getattr(client, name)


def test_difference_identify_of_a_cached_user_is_sent(mock: MockTrodoServer) -> None:
    with trodo.TrodoClient(SITE, api_base=mock.url) as client:
        client.for_user("db_user_1001").track("visited")
        client.identify("db_user_1001")  # the vendor returns the cached context, sending nothing
        client.identify("db_user_1001")
    assert [i["identifyId"] for i in mock.identifies] == ["db_user_1001", "db_user_1001"]
