"""Free-form JSON (event properties, custom values) is taken up to its limits, not beyond."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from leadstreams.schemas.common import (
    LONE_SURROGATE,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_JSON_ITEMS,
    MAX_JSON_TEXT,
    unstorable_at,
)
from leadstreams.schemas.events import EventCreate


def _nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def _sized(size: int) -> dict[str, Any]:
    """Properties of exactly `size` bytes as JSON, no text over its limit."""
    value = {key: "x" * MAX_JSON_TEXT for key in "abc"}
    value["d"] = "x" * (size - len('{"a":"","b":"","c":"","d":""}') - 3 * MAX_JSON_TEXT)
    return value


def _event(properties: dict[str, Any]) -> EventCreate:
    return EventCreate(email="a@example.com", type="page_visited", properties=properties)


AT_THE_LIMITS = [
    _nested(MAX_JSON_DEPTH),
    {"k": list(range(MAX_JSON_ITEMS - 1))},
    {"t": "x" * MAX_JSON_TEXT},
    {"k" * MAX_JSON_TEXT: 1},
    _sized(MAX_JSON_BYTES),
]
BEYOND = [
    (_nested(MAX_JSON_DEPTH + 1), f"levels deep (at {'.'.join('a' * MAX_JSON_DEPTH)})"),
    ({"k": list(range(MAX_JSON_ITEMS))}, "keys and list items in all (at k)"),
    ({"t": "x" * (MAX_JSON_TEXT + 1)}, "characters (at t)"),
    ({"k" * (MAX_JSON_TEXT + 1): 1}, "a key may have at most"),
    (_sized(MAX_JSON_BYTES + 1), f"not {MAX_JSON_BYTES + 1}"),
]


@pytest.mark.parametrize("properties", AT_THE_LIMITS)
def test_free_form_json_at_its_limits_is_taken(properties: dict[str, Any]) -> None:
    assert _event(properties).properties == properties


@pytest.mark.parametrize(("properties", "why"), BEYOND)
def test_free_form_json_beyond_a_limit_is_refused_saying_where(
    properties: dict[str, Any], why: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _event(properties)
    [error] = refused.value.errors()
    assert error["loc"] == ("properties",)
    assert why in error["msg"]


def test_a_lone_surrogate_is_found_in_a_key_or_a_text_but_a_pair_is_text() -> None:
    assert unstorable_at({"a": ["ok", "\ud83d"]}) == ("a[1]", LONE_SURROGATE)
    assert unstorable_at({"\udfff": 1}) == ("\\udfff", LONE_SURROGATE)
    assert unstorable_at({"emoji": "\U0001f600 é"}) is None
