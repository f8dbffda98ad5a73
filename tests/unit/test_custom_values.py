from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadstreams.errors import ErrorDetail
from leadstreams.rules import FieldDef, FieldType, Vocabulary
from leadstreams.rules.limits import MAX_ABS_NUMBER, MAX_STRING_LENGTH
from leadstreams.services.custom_values import check_custom_values

VOCABULARY = Vocabulary.default(
    [
        FieldDef("industry", FieldType.ENUM, "industry", ("Retail", "Tech")),
        FieldDef("nps", FieldType.NUMBER, "NPS"),
        FieldDef("note", FieldType.STRING, "note"),
        FieldDef("renewal", FieldType.DATETIME, "renewal"),
        FieldDef("labels", FieldType.TAGS, "labels"),
        FieldDef("active", FieldType.BOOLEAN, "active"),
    ]
)


def test_values_are_converted_for_storage() -> None:
    checked = check_custom_values(
        {
            "industry": "tech",
            "nps": 9,
            "renewal": "2026-03-01T10:00:00+01:00",
            "labels": ["VIP", "vip", "New"],
            "active": True,
            "note": None,
        },
        VOCABULARY,
    )
    assert checked.errors == []
    assert checked.values == {
        "industry": "Tech",
        "nps": 9,
        "renewal": datetime(2026, 3, 1, 9, tzinfo=UTC),
        "labels": ["VIP", "New"],
        "active": True,
        "note": None,
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("industry", "Farming", "expected one of Retail, Tech"),
        ("nps", MAX_ABS_NUMBER * 10, "expected a finite number"),
        ("nps", True, "expected a finite number"),
        ("note", "x" * (MAX_STRING_LENGTH + 1), "expected a string of at most 1000 characters"),
        ("renewal", "0999-12-31", "expected an ISO 8601 date or datetime"),
        ("renewal", "soon", "expected an ISO 8601 date or datetime"),
        ("labels", ["ok", ""], "expected a list of non-empty strings"),
        ("active", "yes", "expected true or false"),
        ("industy", "Tech", "unknown custom field 'industy' (did you mean 'industry'?)"),
    ],
)
def test_each_bad_value_is_named_by_its_path(name: str, value: Any, message: str) -> None:
    checked = check_custom_values({name: value}, VOCABULARY)
    assert checked.values == {}
    assert checked.errors == [ErrorDetail(f"fields.{name}", message)]


def test_a_built_in_field_is_not_a_custom_value() -> None:
    _, errors = check_custom_values({"lead_score": 5}, VOCABULARY)
    assert [e.path for e in errors] == ["fields.lead_score"]
