"""Client options: defaults, environment fallbacks and clear errors."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import trodo
from trodo._core.batches import PolicyConfig, policy_config
from trodo._core.config import DEFAULT_API_BASE, ClientOptions, Config, resolve


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TRODO_SITE_ID", "TRODO_API_BASE", "TRODO_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_those_of_the_vendor_sdk() -> None:
    config = resolve("site_1", {})
    assert (config.api_base, config.timeout, config.retries) == (DEFAULT_API_BASE, 10.0, 2)
    assert (config.batch_enabled, config.batch_size, config.batch_flush_interval) == (
        False,
        50,
        5.0,
    )


def test_missing_site_id_raises_naming_how_to_pass_it() -> None:
    with pytest.raises(ValueError, match=r"site_id=.*TRODO_SITE_ID"):
        resolve(None, {})


def test_site_id_api_base_and_debug_fall_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRODO_SITE_ID", "env_site")
    monkeypatch.setenv("TRODO_API_BASE", "http://localhost:9999/")
    monkeypatch.setenv("TRODO_DEBUG", "true")
    config = resolve(None, {})
    assert (config.site_id, config.api_base, config.debug) == (
        "env_site",
        "http://localhost:9999",
        True,
    )


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRODO_SITE_ID", "env_site")
    monkeypatch.setenv("TRODO_DEBUG", "1")
    config = resolve("arg_site", {"debug": False})
    assert (config.site_id, config.debug) == ("arg_site", False)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"batch_size": 0}, "batch_size must be a positive int"),
        ({"timeout": -1.0}, "timeout must be a positive float"),
        ({"retries": -1}, "retries must be an int >= 0"),
        ({"max_cached_users": 2.5}, "max_cached_users must be a positive int"),
    ],
)
def test_invalid_numbers_raise_naming_the_option(options: ClientOptions, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve("site_1", options)


def test_unknown_option_raises_type_error() -> None:
    with pytest.raises(TypeError, match=r"unknown option.*batchsize"):
        resolve("site_1", {"batchsize": 10})  # type: ignore[typeddict-unknown-key]


def test_on_error_must_be_callable() -> None:
    with pytest.raises(TypeError, match="on_error"):
        resolve("site_1", {"on_error": "print"})  # type: ignore[typeddict-item]


# One options schema: the client's options and the policy's settings are
# checked by the same rules, whatever the mode (issue 13's contradictions).


def test_a_timeout_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="timeout"):
        resolve("site_1", {"timeout": float("nan")})


@pytest.mark.parametrize("batch_enabled", [False, True])
def test_an_infinite_retry_budget_is_refused_in_both_modes(batch_enabled: bool) -> None:
    with pytest.raises(ValueError, match="retry_budget"):
        trodo.TrodoClient("site_1", batch_enabled=batch_enabled, retry_budget=float("inf"))


def test_a_zero_flush_interval_is_refused_by_the_policy_settings_as_by_the_options() -> None:
    with pytest.raises(ValueError, match="batch_flush_interval"):
        resolve("site_1", {"batch_flush_interval": 0.0})
    with pytest.raises(ValueError, match="flush_interval"):
        PolicyConfig(flush_interval=0.0)


def test_the_policy_settings_are_derived_from_the_options() -> None:
    config = resolve("site_1", {"batch_size": 7, "batch_flush_interval": 2.0, "retry_budget": 9.0})
    settings = policy_config(config)
    assert (settings.batch_size, settings.flush_interval, settings.retry_budget) == (7, 2.0, 9.0)
    assert settings.max_queue_bytes == config.max_queue_bytes


def test_client_options_name_every_option_of_config_with_its_type() -> None:
    fields = {f.name: f.type for f in dataclasses.fields(Config) if f.name != "site_id"}
    hints = {n: getattr(t, "__forward_arg__", t) for n, t in ClientOptions.__annotations__.items()}
    assert set(hints) == set(fields)
    # debug=None means "TRODO_DEBUG decides"; every other option takes Config's type.
    assert {n: t for n, t in hints.items() if n != "debug"} == {
        n: t for n, t in fields.items() if n != "debug"
    }


def test_every_option_has_a_readme_row_with_its_default() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("### Options", 1)[1].split("\n### ", 1)[0]
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| `")]
    documented: dict[str, str] = {}
    for names, default in rows:
        for name in re.findall(r"`(\w+)`", names):
            documented[name] = default.strip()
    fields = {f.name: f.default for f in dataclasses.fields(Config)}
    assert set(documented) == set(fields)
    for name, default in fields.items():
        cell = documented[name]
        if "`" in cell or "/" in cell:  # environment fallbacks, paired rows
            continue
        spelled = f"{default:,}" if type(default) in (int, float) else repr(default)
        assert cell in (repr(default), spelled), name
