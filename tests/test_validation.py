"""Wrong input raises at the call site with a message naming the argument."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import math
import tracemalloc
import uuid
from typing import Any

import pytest

from trodo._core.validation import (
    copy_properties,
    epoch_seconds,
    require_severity,
    require_str,
)


class Plan(enum.Enum):
    PRO = "pro"


def test_properties_none_become_an_empty_object() -> None:
    assert copy_properties(None)[0] == {}


def test_properties_are_copied_so_later_changes_do_not_leak_into_the_event() -> None:
    original: dict[str, Any] = {"cart": {"items": [1, 2]}, "plan": "pro"}
    copied, _ = copy_properties(original)
    original["plan"] = "free"
    original["cart"]["items"].append(3)
    assert copied == {"cart": {"items": [1, 2]}, "plan": "pro"}


def test_plain_json_values_pass_unchanged() -> None:
    props = {"s": "x", "i": 3, "f": 1.5, "b": True, "n": None, "l": [1, "a"], "d": {"k": False}}
    assert copy_properties(props)[0] == props


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC), "2026-11-27T10:00:00+00:00"),
        (dt.date(2026, 11, 27), "2026-11-27"),
        (decimal.Decimal("49.99"), 49.99),
        (uuid.UUID("6f1c2a8e-3b0d-4f5e-9a7c-1d2e3f4a5b6c"), "6f1c2a8e-3b0d-4f5e-9a7c-1d2e3f4a5b6c"),
        (Plan.PRO, "pro"),
        ((1, 2), [1, 2]),
        ({3, 1, 2}, [1, 2, 3]),
        (frozenset({"b", "a"}), ["a", "b"]),
    ],
)
def test_common_python_values_become_their_natural_json_form(
    value: object, expected: object
) -> None:
    assert copy_properties({"v": value})[0] == {"v": expected}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, decimal.Decimal("NaN")])
def test_nan_and_infinities_are_sent_as_null_never_as_invalid_json(value: object) -> None:
    copied, _ = copy_properties({"v": value, "nested": [value]})
    assert copied == {"v": None, "nested": [None]}
    json.dumps(copied, allow_nan=False)  # raises if anything invalid slipped through


def test_an_object_json_cannot_carry_raises_type_error_naming_the_key_path() -> None:
    with pytest.raises(TypeError, match=r"properties\['cart'\]\['items'\]\[1\] is a object"):
        copy_properties({"cart": {"items": [1, object()]}})


def test_non_mapping_properties_raise_type_error() -> None:
    with pytest.raises(TypeError, match="properties must be a mapping"):
        copy_properties(["plan", "pro"])


@pytest.mark.parametrize("props", [{1: "x"}, {"ok": {2: "x"}}])
def test_non_str_keys_raise_type_error(props: dict[Any, Any]) -> None:
    with pytest.raises(TypeError, match="key"):
        copy_properties(props)


def test_cyclic_properties_raise_instead_of_recursing_forever() -> None:
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    with pytest.raises(ValueError, match=r"properties\['c'\]\['self'\] refers to itself"):
        copy_properties({"c": cyclic})


def test_the_size_counts_utf8_bytes_of_non_ascii_text() -> None:
    ascii_size = copy_properties({"a": "x" * 100})[1]
    emoji_size = copy_properties({"a": "\N{GRINNING FACE}" * 100})[1]
    nested_emoji_size = copy_properties({"a": ["\N{GRINNING FACE}" * 100]})[1]
    assert emoji_size - ascii_size == 300  # 4 bytes each on the wire, not 1
    assert nested_emoji_size >= 400


def test_huge_non_ascii_text_is_refused_without_being_encoded() -> None:
    # Refused in time (and memory) proportional to max_request_bytes, not to the input:
    # encoding these 10 million characters would take 20 MB.
    text = "\N{LATIN SMALL LETTER E WITH ACUTE}" * 10_000_000
    tracemalloc.start()
    try:
        for properties in ({"a": text}, {text: 1}):
            with pytest.raises(ValueError, match="max_request_bytes"):
                copy_properties(properties, 512 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_the_size_grows_with_the_properties() -> None:
    small = copy_properties({"a": "x"})[1]
    large = copy_properties({"a": "x" * 1000})[1]
    assert large - small >= 999


@pytest.mark.parametrize(("value", "error"), [("", ValueError), (None, TypeError), (42, TypeError)])
def test_required_strings_must_be_non_empty_str(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="distinct_id must be a non-empty str"):
        require_str(value, "distinct_id")


def test_unknown_severity_raises_value_error_listing_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="critical, error, warning"):
        require_severity("fatal")


def test_naive_timestamp_raises_value_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        epoch_seconds(dt.datetime(2026, 11, 27, 10, 0))


def test_aware_timestamp_becomes_epoch_seconds() -> None:
    when = dt.datetime(2026, 11, 27, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert epoch_seconds(when) == dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC).timestamp()
