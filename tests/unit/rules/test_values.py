from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadstreams.rules.values import enum_value, parse_datetime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31T12:00:00", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-31T12:00:00Z", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("2026-01-31T14:00:00+02:00", datetime(2026, 1, 31, 12, tzinfo=UTC)),
    ],
)
def test_a_datetime_is_read_as_utc_and_naive_means_utc(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    "value", ["", "31/01/2026", "2026-02-30", "9999-12-31T23:00:00-05:00", 20260131, None]
)
def test_what_is_not_an_iso_datetime_reads_as_none(value: object) -> None:
    assert parse_datetime(value) is None


def test_an_enum_value_is_found_in_any_case_and_keeps_its_defined_spelling() -> None:
    assert enum_value("customer", ["Prospect", "Customer"]) == "Customer"
    assert enum_value("PROSPECT", ["Prospect", "Customer"]) == "Prospect"


def test_an_enum_value_is_compared_as_rules_fold_case() -> None:
    # str.lower() maps 'İ' to two characters and a final sigma to 'ς'; rules fold one
    # character at a time, as PostgreSQL's lower() does.
    assert enum_value("istanbul", ["İstanbul"]) == "İstanbul"
    assert enum_value("οδοσ", ["ΟΔΟΣ"]) == "ΟΔΟΣ"


@pytest.mark.parametrize("value", ["partner", "", 1, None])
def test_a_value_that_is_not_allowed_reads_as_none(value: object) -> None:
    assert enum_value(value, ["prospect", "customer"]) is None
