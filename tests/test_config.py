"""Client options: defaults, environment fallbacks and clear errors."""

from __future__ import annotations

import pytest

from trodo._core.config import DEFAULT_API_BASE, ClientOptions, resolve


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
