"""One shared table of cases per operator (rules.md, "Fields and operators" and "Meaning,
exactly"), run through both evaluators on every database backend.

Each case is a rule, a list of contacts (contact i of the list has id i + 1) and the ids that
must match. Both the compiled Python predicate and the SQL expression must select exactly
those. The tables cover missing values, empty strings, case (ASCII and not), LIKE wildcards,
numeric and time boundaries, built-in fields, custom fields (kept in a JSON column), event
conditions and their `where` property conditions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from _pytest.mark import ParameterSet
from sqlalchemy import Engine

from leadstreams.rules import EventRecord, parse
from tests.support.rules_world import (
    NOW,
    VOCABULARY,
    Contact,
    python_matches,
    query_matches,
    sql_matches,
)

ABSENT: Any = object()  # the field is not there at all (as opposed to None)

US = timedelta(microseconds=1)
DAY = timedelta(days=1)
T = datetime(2026, 6, 1, tzinfo=UTC)  # a fixed instant for before / after / between
T_ISO = "2026-06-01T00:00:00Z"
T_PLUS_TWO = "2026-06-01T02:00:00+02:00"  # the same instant, written with an offset


def days_ago(days: int, *, microseconds: int = 0) -> datetime:
    return NOW - timedelta(days=days, microseconds=microseconds)


# --- helpers that keep the tables short ------------------------------------------------------


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    """A field condition; `value` is left out when None (is_set, is_not_set)."""
    raw: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        raw["value"] = value
    return raw


def field_case(
    case_id: str, field: str, op: str, value: Any, values: list[Any], expected: set[int]
) -> ParameterSet:
    """`field op value` over one contact per item of `values` (ABSENT: the field is left out)."""
    people = [Contact({} if v is ABSENT else {field: v}) for v in values]
    return pytest.param(cond(field, op, value), people, expected, id=case_id)


def rule_case(
    case_id: str, rule: dict[str, Any], people: list[Contact], expected: set[int]
) -> ParameterSet:
    return pytest.param(rule, people, expected, id=case_id)


def ev(
    props: dict[str, Any] | None = None,
    *,
    type_: str = "form_submitted",
    at: datetime = NOW - DAY,
) -> EventRecord:
    return EventRecord(type_, at, props or {})


def event_case(
    case_id: str, rule: dict[str, Any], histories: list[list[EventRecord]], expected: set[int]
) -> ParameterSet:
    """`rule` over one contact (with no fields) per event history."""
    people = [Contact({}, list(history)) for history in histories]
    return pytest.param(rule, people, expected, id=case_id)


def where_case(
    case_id: str, where: dict[str, Any], props: list[dict[str, Any]], expected: set[int]
) -> ParameterSet:
    """`form_submitted where <where>` over contacts with one form_submitted event each."""
    rule = {"event": "form_submitted", "where": [where]}
    return event_case(case_id, rule, [[ev(p)] for p in props], expected)


# --- string -------------------------------------------------------------------------------

# Greek capital OMICRON, DELTA, OMICRON, SIGMA: lower-cased, the last sigma is the final form.
ODOS_UPPER = "\u039f\u0394\u039f\u03a3"
ODOS_LOWER = "\u03bf\u03b4\u03bf\u03c2"

STRING_CASES = [
    # eq
    field_case("string-eq-country-case", "country", "eq", "se",
               ["SE", "se", "Se", "sE", "NO", None, "", ABSENT], {1, 2, 3, 4}),
    field_case("string-eq-rule-value-upper", "country", "eq", "SE",
               ["se", "Se", "SE", "DK"], {1, 2, 3}),
    field_case("string-eq-non-ascii-o-umlaut", "city", "eq", "Göteborg",
               ["GÖTEBORG", "göteborg", "Goteborg", "GOTEBORG", None, ""], {1, 2}),
    field_case("string-eq-non-ascii-a-ring", "city", "eq", "ÅRE",
               ["åre", "Åre", "Are", "are"], {1, 2}),
    field_case("string-eq-non-ascii-e-acute", "city", "eq", "é",
               ["É", "é", "e", "E"], {1, 2}),
    # Folding is one character at a time (as PostgreSQL's lower()): 'Σ' folds to 'σ', never
    # to the final 'ς', so a rule written with 'ς' matches only that spelling.
    field_case("string-eq-greek-final-sigma", "city", "eq", ODOS_LOWER,
               [ODOS_UPPER, ODOS_LOWER, "odos"], {2}),
    field_case("string-eq-greek-capitals-fold-to-sigma", "city", "eq", ODOS_UPPER,
               [ODOS_UPPER, "οδοσ", ODOS_LOWER], {1, 2}),
    field_case("string-eq-no-trimming", "city", "eq", "göteborg",
               [" Göteborg", "Göteborg ", "Göteborg"], {3}),
    field_case("string-eq-email", "email", "eq", "Anna@Example.com",
               ["anna@example.com", "ANNA@EXAMPLE.COM", "anna@example.org", None], {1, 2}),
    field_case("string-eq-custom", "industry", "eq", "SaaS",
               ["saas", "SAAS", "SaaS ", "retail", ABSENT, None, ""], {1, 2}),
    field_case("string-eq-custom-non-ascii", "industry", "eq", "MÖBLER",
               ["möbler", "Möbler", "mobler"], {1, 2}),
    # neq: true on a missing value and on an empty string
    field_case("string-neq-country", "country", "neq", "se",
               ["SE", "se", "Se", "NO", None, "", ABSENT], {4, 5, 6, 7}),
    field_case("string-neq-non-ascii", "city", "neq", "GÖTEBORG",
               ["göteborg", "Göteborg", "Malmö", None, ""], {3, 4, 5}),
    field_case("string-neq-custom", "industry", "neq", "saas",
               ["SAAS", "SaaS", "retail", ABSENT, None, ""], {3, 4, 5, 6}),
    # contains: case-insensitive, LIKE wildcards in the value are literal
    field_case("string-contains-case", "company", "contains", "nordic",
               ["Nordic AB", "NORDIC", "the nordic co", "Nordi", None, ""], {1, 2, 3}),
    field_case("string-contains-rule-value-upper", "company", "contains", "NoRdIc",
               ["nordic ab", "Acme"], {1}),
    field_case("string-contains-percent-is-literal", "company", "contains", "50%",
               ["500", "50% off", "Save 50%", "5000%", "50"], {2, 3}),
    field_case("string-contains-underscore-is-literal", "company", "contains", "a_b",
               ["axb", "a_b", "XA_BX", "ab"], {2, 3}),
    field_case("string-contains-only-percent", "company", "contains", "%",
               ["100%", "100", None, ""], {1}),
    field_case("string-contains-only-underscore", "company", "contains", "_",
               ["a_b", "ab", "a"], {1}),
    field_case("string-contains-slash", "company", "contains", "a/b",
               ["a/b", "A/B", "ab", "axb"], {1, 2}),
    field_case("string-contains-backslash", "company", "contains", "a\\b",
               ["a\\b", "A\\B", "ab", "axb"], {1, 2}),
    field_case("string-contains-non-ascii", "city", "contains", "ÖTE",
               ["Göteborg", "GÖTEBORG", "Goteborg", None], {1, 2}),
    field_case("string-contains-custom", "industry", "contains", "Soft",
               ["software", "SOFTWARE", "hardware", ABSENT, None, ""], {1, 2}),
    field_case("string-contains-custom-percent", "industry", "contains", "50%",
               ["500", "top 50%"], {2}),
    # not_contains: true on a missing value and on an empty string
    field_case("string-not-contains", "company", "not_contains", "nordic",
               ["Nordic AB", "Acme", None, "", ABSENT], {2, 3, 4, 5}),
    field_case("string-not-contains-percent-is-literal", "company", "not_contains", "50%",
               ["500", "50%", "x50%x"], {1}),
    field_case("string-not-contains-underscore-is-literal", "company", "not_contains", "a_b",
               ["axb", "A_B"], {1}),
    field_case("string-not-contains-custom", "industry", "not_contains", "WARE",
               ["Software", "retail", ABSENT, None, ""], {2, 3, 4, 5}),
    # starts_with
    field_case("string-starts-with-case", "title", "starts_with", "head",
               ["Head of Sales", "HEAD", "Sub-head", "he", None, ""], {1, 2}),
    field_case("string-starts-with-underscore-is-literal", "title", "starts_with", "a_",
               ["axb", "a_b", "A_"], {2, 3}),
    field_case("string-starts-with-percent-is-literal", "title", "starts_with", "%",
               ["%off", "off%", "off"], {1}),
    field_case("string-starts-with-non-ascii", "city", "starts_with", "åR",
               ["Åre", "ÅRE", "are", "Kåre"], {1, 2}),
    field_case("string-starts-with-custom", "industry", "starts_with", "Re",
               ["retail", "RETAIL", "pre", ABSENT, None, ""], {1, 2}),
    # ends_with
    field_case("string-ends-with-case", "title", "ends_with", "LEAD",
               ["Team lead", "TEAM LEAD", "Leader", None, ""], {1, 2}),
    field_case("string-ends-with-underscore-is-literal", "phone", "ends_with", "_1",
               ["+46 701", "+46 70_1"], {2}),
    field_case("string-ends-with-percent-is-literal", "company", "ends_with", "%",
               ["100%", "%100"], {1}),
    field_case("string-ends-with-non-ascii", "city", "ends_with", "MÖ",
               ["Malmö", "MALMÖ", "Malmo"], {1, 2}),
    field_case("string-ends-with-custom", "industry", "ends_with", "TECH",
               ["fintech", "FinTech", "technology", ABSENT, None, ""], {1, 2}),
    # in / not_in
    field_case("string-in-country", "country", "in", ["se", "NO"],
               ["SE", "se", "no", "No", "DK", None, "", ABSENT], {1, 2, 3, 4}),
    field_case("string-in-non-ascii", "city", "in", ["GÖTEBORG", "åre"],
               ["göteborg", "ÅRE", "Malmö", None], {1, 2}),
    field_case("string-in-custom", "industry", "in", ["SaaS", "Retail"],
               ["saas", "RETAIL", "fintech", ABSENT, None, ""], {1, 2}),
    field_case("string-not-in-country", "country", "not_in", ["se", "no"],
               ["SE", "No", "DK", None, "", ABSENT], {3, 4, 5, 6}),
    field_case("string-not-in-non-ascii", "city", "not_in", ["göteborg"],
               ["GÖTEBORG", "Åre", None], {2, 3}),
    field_case("string-not-in-custom", "industry", "not_in", ["saas"],
               ["SAAS", "retail", ABSENT, None, ""], {2, 3, 4, 5}),
    # is_set / is_not_set: an empty string is not set; a blank is (no trimming)
    field_case("string-is-set-country", "country", "is_set", None,
               ["SE", None, "", ABSENT, " "], {1, 5}),
    field_case("string-is-not-set-country", "country", "is_not_set", None,
               ["SE", None, "", ABSENT, " "], {2, 3, 4}),
    field_case("string-is-set-email", "email", "is_set", None,
               ["a@example.com", None, ""], {1}),
    field_case("string-is-not-set-email", "email", "is_not_set", None,
               ["a@example.com", None, ""], {2, 3}),
    field_case("string-is-set-custom", "industry", "is_set", None,
               ["saas", ABSENT, None, "", " "], {1, 5}),
    field_case("string-is-not-set-custom", "industry", "is_not_set", None,
               ["saas", ABSENT, None, "", " "], {2, 3, 4}),
    rule_case("string-not-eq-equals-neq-on-empty-and-missing",
              {"not": cond("country", "eq", "se")},
              [Contact({"country": "SE"}), Contact({"country": ""}), Contact({})], {2, 3}),
    # every built-in string field: case-insensitive eq, and is_not_set on "" and None
    *(
        field_case(f"string-eq-builtin-{name}", name, "eq", value.lower(),
                   [value, value.upper(), other, None, ""], {1, 2})
        for name, value, other in [
            ("email", "Bo@Example.com", "bob@example.com"), ("first_name", "Örjan", "Orjan"),
            ("last_name", "Åberg", "Aberg"), ("company", "Nordic AB", "Nordic"),
            ("title", "CTO", "CEO"), ("phone", "+46 70 1x", "+46 70 1"),
            ("city", "Göteborg", "Goteborg"), ("country", "Se", "SW"),
        ]
    ),
    *(
        field_case(f"string-is-not-set-builtin-{name}", name, "is_not_set", None,
                   [value, None, ""], {2, 3})
        for name, value in [
            ("first_name", "Örjan"), ("last_name", "Åberg"), ("company", "Acme"),
            ("title", "CTO"), ("phone", "+46"), ("city", "Malmö"),
        ]
    ),
]  # fmt: skip

# --- number -------------------------------------------------------------------------------
# lead_score is an integer column, never missing (default 0); nps is a custom number in JSON
# that may be missing and may hold floats.

NUMBER_CASES = [
    # eq / neq
    field_case("number-eq-lead-score", "lead_score", "eq", 50, [50, 49, 51, 0, -50], {1}),
    field_case("number-eq-lead-score-float-value", "lead_score", "eq", 50.0, [50, 49], {1}),
    field_case("number-eq-lead-score-fraction", "lead_score", "eq", 49.5, [49, 50], set()),
    field_case("number-eq-lead-score-negative", "lead_score", "eq", -5, [-5, 5, 0], {1}),
    field_case("number-eq-custom-int", "nps", "eq", 50,
               [50, 50.0, 49.5, 51, ABSENT, None], {1, 2}),
    field_case("number-eq-custom-fraction", "nps", "eq", 49.5, [49.5, 50, 49], {1}),
    field_case("number-eq-custom-negative", "nps", "eq", -5, [-5, 5, -5.0, ABSENT], {1, 3}),
    field_case("number-eq-custom-zero", "nps", "eq", 0, [0, 0.0, -0.0, ABSENT, None], {1, 2, 3}),
    # Whole numbers beyond 32 bits, up to the limit of 10**15 (bound as 64-bit integers).
    field_case("number-gt-custom-beyond-32-bits", "nps", "gt", 3_000_000_000,
               [3_000_000_001, 3_000_000_000, 2_999_999_999.5, 10**15, ABSENT], {1, 4}),
    field_case("number-eq-custom-limit", "nps", "eq", -(10**15),
               [-(10**15), 10**15, -(10**15) + 1, 0], {1}),
    field_case("number-neq-lead-score", "lead_score", "neq", 50, [50, 49, 51], {2, 3}),
    field_case("number-neq-custom", "nps", "neq", 50,
               [50.0, 50, 49.5, ABSENT, None, 0], {3, 4, 5, 6}),
    # gt / gte / lt / lte, exactly at the edge
    field_case("number-gt-lead-score", "lead_score", "gt", 50, [49, 50, 51], {3}),
    field_case("number-gt-lead-score-fraction", "lead_score", "gt", 49.5, [49, 50], {2}),
    field_case("number-gt-custom", "nps", "gt", 50,
               [50, 50.0, 50.5, 49.5, ABSENT, None], {3}),
    field_case("number-gt-custom-negative", "nps", "gt", -1,
               [-1, -1.0, -0.5, 0, -2, ABSENT], {3, 4}),
    field_case("number-gte-lead-score", "lead_score", "gte", 50, [49, 50, 51], {2, 3}),
    field_case("number-gte-lead-score-float-value", "lead_score", "gte", 50.0,
               [49, 50, 51], {2, 3}),
    field_case("number-gte-lead-score-fraction", "lead_score", "gte", 49.5, [49, 50], {2}),
    field_case("number-gte-custom-fraction", "nps", "gte", 49.5,
               [49.5, 49.4, 50, ABSENT, None], {1, 3}),
    field_case("number-gte-custom-negative", "nps", "gte", -10,
               [-10, -10.5, -9, ABSENT], {1, 3}),
    field_case("number-lt-lead-score", "lead_score", "lt", 50, [49, 50, 51], {1}),
    field_case("number-lt-lead-score-fraction", "lead_score", "lt", 50.5, [50, 51], {1}),
    field_case("number-lt-lead-score-negative", "lead_score", "lt", -1, [-2, -1, 0], {1}),
    field_case("number-lt-custom", "nps", "lt", 50, [49.5, 50, 50.0, ABSENT, None], {1}),
    field_case("number-lt-custom-zero", "nps", "lt", 0, [-0.5, 0, -1, 0.5, ABSENT], {1, 3}),
    field_case("number-lte-lead-score", "lead_score", "lte", 50, [49, 50, 51], {1, 2}),
    field_case("number-lte-lead-score-fraction", "lead_score", "lte", 49.5, [49, 50], {1}),
    field_case("number-lte-custom", "nps", "lte", 50, [50.0, 50, 50.5, ABSENT, None], {1, 2}),
    field_case("number-lte-custom-negative", "nps", "lte", -1,
               [-1, -1.0, -0.5, ABSENT], {1, 2}),
    # between: inclusive at both ends
    field_case("number-between-lead-score", "lead_score", "between", [10, 20],
               [9, 10, 15, 20, 21], {2, 3, 4}),
    field_case("number-between-lead-score-fractions", "lead_score", "between", [9.5, 20.5],
               [9, 10, 20, 21], {2, 3}),
    field_case("number-between-lead-score-single-point", "lead_score", "between", [50, 50],
               [49, 50, 51], {2}),
    field_case("number-between-lead-score-negative", "lead_score", "between", [-10, -1],
               [-11, -10, -1, 0], {2, 3}),
    field_case("number-between-custom", "nps", "between", [49.5, 50],
               [49.4, 49.5, 50.0, 50, 50.1, ABSENT, None], {2, 3, 4}),
    field_case("number-between-custom-negative", "nps", "between", [-10, -1],
               [-10, -1, -0.5, -11, 0, ABSENT], {1, 2}),
    # is_set / is_not_set: zero is set
    field_case("number-is-set-lead-score", "lead_score", "is_set", None, [0, 10, -1], {1, 2, 3}),
    field_case("number-is-not-set-lead-score", "lead_score", "is_not_set", None, [0, 10], set()),
    field_case("number-is-set-custom", "nps", "is_set", None,
               [0, 0.0, -1, ABSENT, None], {1, 2, 3}),
    field_case("number-is-not-set-custom", "nps", "is_not_set", None,
               [0, 0.0, -1, ABSENT, None], {4, 5}),
    rule_case("number-not-gt-includes-missing", {"not": cond("nps", "gt", 50)},
              [Contact({"nps": 51}), Contact({"nps": 50}), Contact({})], {2, 3}),
]  # fmt: skip

# --- boolean ------------------------------------------------------------------------------

BOOLEAN_CASES = [
    field_case("boolean-eq-true", "newsletter", "eq", True, [True, False, ABSENT, None], {1}),
    field_case("boolean-eq-false", "newsletter", "eq", False, [True, False, ABSENT, None], {2}),
    field_case("boolean-is-set", "newsletter", "is_set", None,
               [True, False, ABSENT, None], {1, 2}),
    field_case("boolean-is-not-set", "newsletter", "is_not_set", None,
               [True, False, ABSENT, None], {3, 4}),
    rule_case("boolean-not-eq-true-includes-missing", {"not": cond("newsletter", "eq", True)},
              [Contact({"newsletter": v}) for v in (True, False, None)] + [Contact({})],
              {2, 3, 4}),
    # true and 1 are equal in Python: the predicate must not bind one for the other (a boolean
    # is compared by identity), whichever condition comes first
    *(rule_case(f"boolean-true-beside-number-one-{order}", {"all": conditions},
                [Contact({"lead_score": 1, "newsletter": v}) for v in (True, False)], {1})
      for order, conditions in (
          ("number-first", [cond("lead_score", "eq", 1), cond("newsletter", "eq", True)]),
          ("boolean-first", [cond("newsletter", "eq", True), cond("lead_score", "eq", 1)]),
      )),
]  # fmt: skip

# --- datetime -----------------------------------------------------------------------------
# created_at / updated_at are columns, never missing; demo_at is a custom datetime in JSON.

DATETIME_CASES = [
    # before / after: strict
    field_case("datetime-before-created-at", "created_at", "before", T_ISO,
               [T - US, T, T + US], {1}),
    field_case("datetime-before-updated-at", "updated_at", "before", T_ISO,
               [T - US, T, T + US], {1}),
    field_case("datetime-before-offset-value", "created_at", "before", T_PLUS_TWO,
               [T - US, T, T + DAY], {1}),
    field_case("datetime-before-custom", "demo_at", "before", T_ISO,
               [T - US, T, T + US, ABSENT, None], {1}),
    field_case("datetime-before-custom-date-only", "demo_at", "before", "2026-06-01",
               [T - US, T], {1}),
    field_case("datetime-after-created-at", "created_at", "after", T_ISO,
               [T - US, T, T + US], {3}),
    field_case("datetime-after-updated-at", "updated_at", "after", T_ISO,
               [T - US, T, T + US], {3}),
    field_case("datetime-after-custom", "demo_at", "after", T_ISO,
               [T - US, T, T + US, ABSENT, None], {3}),
    field_case("datetime-after-custom-offset-value", "demo_at", "after", T_PLUS_TWO,
               [T, T + US], {2}),
    # between: inclusive
    field_case("datetime-between-created-at", "created_at", "between",
               [T_ISO, "2026-06-02T00:00:00Z"],
               [T - US, T, T + DAY / 2, T + DAY, T + DAY + US], {2, 3, 4}),
    field_case("datetime-between-custom", "demo_at", "between",
               [T_ISO, "2026-06-02T00:00:00Z"],
               [T - US, T, T + DAY / 2, T + DAY, T + DAY + US, ABSENT, None], {2, 3, 4}),
    field_case("datetime-between-single-instant", "demo_at", "between", [T_ISO, T_PLUS_TWO],
               [T - US, T, T + US], {2}),
    # within_last_days N: now - N days <= value <= now
    field_case("datetime-within-last-days-created-at", "created_at", "within_last_days", 30,
               [days_ago(30), days_ago(30, microseconds=1), days_ago(29), NOW, NOW + US],
               {1, 3, 4}),
    field_case("datetime-within-last-days-updated-at", "updated_at", "within_last_days", 1,
               [days_ago(1), days_ago(1, microseconds=1), NOW + DAY], {1}),
    field_case("datetime-within-last-days-custom", "demo_at", "within_last_days", 30,
               [days_ago(30), days_ago(30, microseconds=1), days_ago(29), NOW, NOW + US,
                ABSENT, None],
               {1, 3, 4}),
    # more_than_days_ago N: value < now - N days (strict)
    field_case("datetime-more-than-days-ago-created-at", "created_at", "more_than_days_ago",
               30, [days_ago(30), days_ago(30, microseconds=1), days_ago(31), NOW], {2, 3}),
    field_case("datetime-more-than-days-ago-custom", "demo_at", "more_than_days_ago", 30,
               [days_ago(30), days_ago(30, microseconds=1), days_ago(31), NOW, ABSENT, None],
               {2, 3}),
    field_case("datetime-more-than-days-ago-zero", "demo_at", "more_than_days_ago", 0,
               [NOW, NOW - US, NOW + US], {2}),
    # is_set / is_not_set
    field_case("datetime-is-set-created-at", "created_at", "is_set", None, [T, NOW], {1, 2}),
    field_case("datetime-is-not-set-created-at", "created_at", "is_not_set", None,
               [T, NOW], set()),
    field_case("datetime-is-set-custom", "demo_at", "is_set", None, [T, ABSENT, None], {1}),
    field_case("datetime-is-not-set-custom", "demo_at", "is_not_set", None,
               [T, ABSENT, None], {2, 3}),
    rule_case("datetime-not-before-includes-missing", {"not": cond("demo_at", "before", T_ISO)},
              [Contact({"demo_at": T - US}), Contact({"demo_at": T}), Contact({})], {2, 3}),
    # The same number of days on a custom field (ISO text) and on a column (a datetime) in
    # one rule: with "now" bound by name, each needs a parameter of its own type.
    rule_case("datetime-within-last-days-custom-and-column-alike",
              {"all": [cond("demo_at", "within_last_days", 30),
                       cond("created_at", "within_last_days", 30)]},
              [Contact({"demo_at": d, "created_at": c})
               for d, c in [(days_ago(30), days_ago(30)), (days_ago(29), days_ago(31)),
                            (days_ago(31), days_ago(29)), (days_ago(30, microseconds=1), NOW),
                            (NOW, days_ago(30, microseconds=1))]],
              {1}),
]  # fmt: skip

# --- enum ---------------------------------------------------------------------------------
# category is built-in and always set (default 'prospect'); plan is custom and may be missing.

CATEGORIES = ["customer", "prospect", "other"]
PLANS = ["pro", "free", "enterprise", ABSENT, None, ""]
TIERS = ["Gold", "silver", ABSENT]

ENUM_CASES = [
    field_case("enum-eq-category", "category", "eq", "customer", CATEGORIES, {1}),
    field_case("enum-eq-category-rule-value-case", "category", "eq", "Customer", CATEGORIES, {1}),
    field_case("enum-eq-category-default", "category", "eq", "prospect",
               [ABSENT, "customer"], {1}),
    field_case("enum-neq-category", "category", "neq", "customer", CATEGORIES, {2, 3}),
    field_case("enum-in-category", "category", "in", ["prospect", "OTHER"], CATEGORIES, {2, 3}),
    field_case("enum-not-in-category", "category", "not_in", ["prospect"], CATEGORIES, {1, 3}),
    field_case("enum-is-set-category", "category", "is_set", None, CATEGORIES, {1, 2, 3}),
    field_case("enum-is-not-set-category", "category", "is_not_set", None, CATEGORIES, set()),
    field_case("enum-eq-plan", "plan", "eq", "pro", PLANS, {1}),
    field_case("enum-eq-plan-rule-value-case", "plan", "eq", "PRO", PLANS, {1}),
    field_case("enum-neq-plan", "plan", "neq", "pro", PLANS, {2, 3, 4, 5, 6}),
    field_case("enum-in-plan", "plan", "in", ["free", "Enterprise"], PLANS, {2, 3}),
    field_case("enum-not-in-plan", "plan", "not_in", ["free", "enterprise"], PLANS,
               {1, 4, 5, 6}),
    field_case("enum-is-set-plan", "plan", "is_set", None, PLANS, {1, 2, 3}),
    field_case("enum-is-not-set-plan", "plan", "is_not_set", None, PLANS, {4, 5, 6}),
    # A value defined with capitals is stored and compared as defined: the rule's constant is
    # the defined value, never folded (a folded "gold" would match nothing).
    field_case("enum-eq-capitalised-value", "tier", "eq", "Gold", TIERS, {1}),
    field_case("enum-eq-capitalised-value-rule-case", "tier", "eq", "gold", TIERS, {1}),
    field_case("enum-neq-capitalised-value", "tier", "neq", "GOLD", TIERS, {2, 3}),
    field_case("enum-in-capitalised-value", "tier", "in", ["gold", "silver"], TIERS, {1, 2}),
    field_case("enum-not-in-capitalised-value", "tier", "not_in", ["Gold"], TIERS, {2, 3}),
]  # fmt: skip

# --- tags ---------------------------------------------------------------------------------
# tags is built-in (None is stored as an empty list); interests is custom and may be missing.

INTERESTS = [["AI", "ml"], ["ai"], ["Ml", "x"], ["x"], [], ABSENT, None]

TAGS_CASES = [
    # contains: membership of a whole tag, case-insensitive; no LIKE, no substring
    field_case("tags-contains", "tags", "contains", "vip",
               [["VIP"], ["vip", "b2b"], ["Vip"], ["vipx"], ["b2b"], [], None], {1, 2, 3}),
    field_case("tags-contains-rule-value-upper", "tags", "contains", "VIP",
               [["vip"], ["v"]], {1}),
    field_case("tags-contains-non-ascii", "tags", "contains", "GÖTEBORG",
               [["göteborg"], ["Göteborg"], ["goteborg"], ["ÅRE", "É"]], {1, 2}),
    field_case("tags-contains-non-ascii-a-ring", "tags", "contains", "åre",
               [["ÅRE"], ["Åre"], ["are"]], {1, 2}),
    field_case("tags-contains-percent-is-literal", "tags", "contains", "50%",
               [["500"], ["50%"], ["50%x"]], {2}),
    field_case("tags-contains-underscore-is-literal", "tags", "contains", "a_b",
               [["axb"], ["A_B"]], {2}),
    field_case("tags-contains-custom", "interests", "contains", "ai", INTERESTS, {1, 2}),
    # not_contains: true on an empty or missing list
    field_case("tags-not-contains", "tags", "not_contains", "vip",
               [["VIP"], ["b2b"], [], None], {2, 3, 4}),
    field_case("tags-not-contains-custom", "interests", "not_contains", "AI", INTERESTS,
               {3, 4, 5, 6, 7}),
    # contains_any / contains_all / contains_none
    field_case("tags-contains-any", "tags", "contains_any", ["vip", "B2B"],
               [["VIP"], ["b2b"], ["x"], [], ["x", "b2b"], None], {1, 2, 5}),
    field_case("tags-contains-any-custom", "interests", "contains_any", ["ML", "zz"],
               INTERESTS, {1, 3}),
    field_case("tags-contains-all", "tags", "contains_all", ["vip", "b2b"],
               [["VIP", "B2B"], ["vip"], ["b2b", "x", "Vip"], [], None], {1, 3}),
    field_case("tags-contains-all-same-tag-two-cases", "tags", "contains_all", ["vip", "VIP"],
               [["Vip"], ["b2b"]], {1}),
    field_case("tags-contains-all-custom", "interests", "contains_all", ["ai", "ML"],
               INTERESTS, {1}),
    field_case("tags-contains-none", "tags", "contains_none", ["vip", "b2b"],
               [["VIP"], ["x"], [], ["B2B", "x"], None], {2, 3, 5}),
    field_case("tags-contains-none-custom", "interests", "contains_none", ["ai", "zz"],
               INTERESTS, {3, 4, 5, 6, 7}),
    # is_set: not empty; is_not_set: empty or missing
    field_case("tags-is-set", "tags", "is_set", None, [["x"], [], None], {1}),
    field_case("tags-is-not-set", "tags", "is_not_set", None, [["x"], [], None], {2, 3}),
    field_case("tags-is-set-custom", "interests", "is_set", None, INTERESTS, {1, 2, 3, 4}),
    field_case("tags-is-not-set-custom", "interests", "is_not_set", None, INTERESTS,
               {5, 6, 7}),
]  # fmt: skip

# --- event conditions ---------------------------------------------------------------------

FORM = {"event": "form_submitted"}

EVENT_CASES = [
    event_case("event-default-min-count-one", FORM,
               [[ev()], [], [ev(type_="email_opened")]], {1}),
    event_case("event-min-count-boundary", {**FORM, "min_count": 3},
               [[ev()] * 3, [ev()] * 2, [ev()] * 4, []], {1, 3}),
    event_case("event-other-types-not-counted", {**FORM, "min_count": 2},
               [[ev(), ev(type_="email_opened")], [ev(), ev()],
                [ev(type_="email_opened"), ev(type_="email_opened")]],
               {2}),
    event_case("event-custom-type", {"event": "webinar_attended"},
               [[ev(type_="webinar_attended")], [ev()]], {1}),
    event_case("event-within-days-boundary", {**FORM, "within_days": 30},
               [[ev(at=days_ago(30))], [ev(at=days_ago(30, microseconds=1))],
                [ev(at=days_ago(1))], [ev(at=NOW)], [ev(at=NOW + DAY)], []],
               {1, 3, 4, 5}),
    event_case("event-within-days-one", {**FORM, "within_days": 1},
               [[ev(at=days_ago(1))], [ev(at=days_ago(1, microseconds=1))]], {1}),
    event_case("event-within-days-and-min-count", {**FORM, "within_days": 30, "min_count": 2},
               [[ev(at=days_ago(30)), ev(at=days_ago(30, microseconds=1))],
                [ev(at=days_ago(30)), ev(at=days_ago(29))],
                [ev(at=days_ago(30)), ev(at=days_ago(30))]],
               {2, 3}),
    event_case("event-where-and-min-count",
               {**FORM, "where": [{"property": "form", "op": "eq", "value": "demo"}],
                "min_count": 2},
               [[ev({"form": "Demo"}), ev({"form": "DEMO"})],
                [ev({"form": "demo"}), ev({"form": "pricing"})],
                [ev({"form": "demo"}), ev({"form": "demo"}, type_="email_opened")]],
               {1}),
    event_case("event-where-conditions-are-anded-per-event",
               {**FORM, "where": [{"property": "form", "op": "eq", "value": "demo"},
                                  {"property": "amount", "op": "gte", "value": 10}]},
               [[ev({"form": "Demo", "amount": 10})], [ev({"form": "demo", "amount": 9})],
                [ev({"form": "x", "amount": 100})],
                [ev({"form": "demo"}), ev({"amount": 100})]],
               {1}),
    event_case("event-not-has-not", {"not": FORM},
               [[], [ev()], [ev(type_="email_opened")]], {1, 3}),
    event_case("event-not-within-days", {"not": {**FORM, "within_days": 7}},
               [[ev(at=days_ago(7))], [ev(at=days_ago(7, microseconds=1))], []], {2, 3}),
    event_case("event-not-min-count", {"not": {**FORM, "min_count": 2}},
               [[ev(), ev()], [ev()], []], {2, 3}),
    event_case("event-not-where",
               {"not": {**FORM, "where": [{"property": "form", "op": "eq", "value": "demo"}]}},
               [[ev({"form": "DEMO"})], [ev({"form": "pricing"})], [ev()], []], {2, 3, 4}),
]  # fmt: skip


def prop(name: str, op: str, value: Any = None) -> dict[str, Any]:
    raw: dict[str, Any] = {"property": name, "op": op}
    if value is not None:
        raw["value"] = value
    return raw


# The same values in many rows: a string, and the kinds that behave as missing for strings.
NOT_STRINGS: list[dict[str, Any]] = [
    {},
    {"form": None},
    {"form": 5},
    {"form": True},
    {"form": ["Contact us"]},
    {"form": ""},
]

PROPERTY_CASES = [
    # string properties
    where_case("property-string-eq",
               prop("form", "eq", "Contact us"),
               [{"form": "CONTACT US"}, {"form": "contact us "}, {"form": "Pricing"},
                *NOT_STRINGS],
               {1}),
    where_case("property-string-eq-number-is-missing", prop("form", "eq", "5"),
               [{"form": 5}, {"form": "5"}, {"form": 5.0}], {2}),
    where_case("property-string-eq-non-ascii", prop("form", "eq", "göteborg"),
               [{"form": "GÖTEBORG"}, {"form": "Göteborg"}, {"form": "Goteborg"}], {1, 2}),
    where_case("property-string-neq",
               prop("form", "neq", "contact us"),
               [{"form": "Contact Us"}, {"form": "Pricing"}, *NOT_STRINGS],
               {2, 3, 4, 5, 6, 7, 8}),
    where_case("property-string-neq-missing-property", prop("form", "neq", "x"),
               [{}, {"other": "x"}, {"form": "X"}], {1, 2}),
    where_case("property-string-contains", prop("form", "contains", "US"),
               [{"form": "Contact us"}, {"form": "Pricing"}, *NOT_STRINGS], {1}),
    where_case("property-string-contains-percent-is-literal", prop("form", "contains", "50%"),
               [{"form": "500"}, {"form": "Get 50% off"}, {"form": 50}], {2}),
    where_case("property-string-contains-underscore-is-literal",
               prop("form", "contains", "a_b"), [{"form": "axb"}, {"form": "A_B"}], {2}),
    where_case("property-string-contains-non-ascii", prop("form", "contains", "åre"),
               [{"form": "ÅRE fjäll"}, {"form": "Are"}], {1}),
    where_case("property-string-not-contains", prop("form", "not_contains", "demo"),
               [{"form": "Demo request"}, {"form": "Pricing"}, *NOT_STRINGS],
               {2, 3, 4, 5, 6, 7, 8}),
    where_case("property-string-starts-with", prop("page", "starts_with", "/Pricing"),
               [{"page": "/pricing/eu"}, {"page": "/PRICING"}, {"page": "/about/pricing"},
                {}, {"page": 1}],
               {1, 2}),
    where_case("property-string-starts-with-percent-is-literal",
               prop("page", "starts_with", "50%"), [{"page": "500"}, {"page": "50% off"}], {2}),
    where_case("property-string-ends-with", prop("page", "ends_with", "_X"),
               [{"page": "/a_x"}, {"page": "/abx"}, {"page": "/A_X"}, {}], {1, 3}),
    where_case("property-string-in", prop("form", "in", ["contact us", "DEMO"]),
               [{"form": "Contact Us"}, {"form": "demo"}, {"form": "Pricing"}, *NOT_STRINGS],
               {1, 2}),
    where_case("property-string-not-in", prop("form", "not_in", ["contact us", "DEMO"]),
               [{"form": "Contact Us"}, {"form": "demo"}, {"form": "Pricing"}, *NOT_STRINGS],
               {3, 4, 5, 6, 7, 8, 9}),
    where_case("property-name-with-hyphen", prop("utm-source", "eq", "LinkedIn"),
               [{"utm-source": "linkedin"}, {"utm_source": "linkedin"}], {1}),
    # number properties: a string, a boolean or a missing property behaves as missing
    where_case("property-number-eq", prop("amount", "eq", 50),
               [{"amount": 50}, {"amount": 50.0}, {"amount": "50"}, {"amount": 49.5}, {},
                {"amount": None}, {"amount": True}],
               {1, 2}),
    where_case("property-number-eq-one-is-not-true", prop("amount", "eq", 1),
               [{"amount": True}, {"amount": 1}, {"amount": "1"}], {2}),
    where_case("property-number-eq-fraction", prop("amount", "eq", 49.5),
               [{"amount": 49.5}, {"amount": 50}], {1}),
    where_case("property-number-neq", prop("amount", "neq", 50),
               [{"amount": 50.0}, {"amount": "50"}, {}, {"amount": 51}, {"amount": None}],
               {2, 3, 4, 5}),
    where_case("property-number-gt", prop("amount", "gt", 49.5),
               [{"amount": 49.5}, {"amount": 50}, {"amount": "100"}, {}], {2}),
    where_case("property-number-gte", prop("amount", "gte", 50),
               [{"amount": 49.99}, {"amount": 50}, {"amount": 50.0}, {"amount": "50"}],
               {2, 3}),
    where_case("property-number-lt", prop("amount", "lt", 0),
               [{"amount": -0.5}, {"amount": 0}, {"amount": -1}, {"amount": "-5"}, {}], {1, 3}),
    where_case("property-number-lte", prop("amount", "lte", -1),
               [{"amount": -1}, {"amount": -1.0}, {"amount": -0.5}, {}], {1, 2}),
    where_case("property-number-between", prop("amount", "between", [10, 20]),
               [{"amount": 10}, {"amount": 20.0}, {"amount": 9.99}, {"amount": 20.01},
                {"amount": "15"}, {}],
               {1, 2}),
    where_case("property-number-between-negative", prop("amount", "between", [-10, -1]),
               [{"amount": -10}, {"amount": -1}, {"amount": -0.5}, {"amount": -11}], {1, 2}),
    where_case("property-number-in", prop("amount", "in", [1, 2.5]),
               [{"amount": 1.0}, {"amount": 2.5}, {"amount": 2}, {"amount": "1"}, {},
                {"amount": True}],
               {1, 2}),
    where_case("property-number-not-in", prop("amount", "not_in", [1, 2.5]),
               [{"amount": 1.0}, {"amount": 2.5}, {"amount": 2}, {"amount": "1"}, {},
                {"amount": True}],
               {3, 4, 5, 6}),
    # boolean properties
    where_case("property-boolean-eq-true", prop("paid", "eq", True),
               [{"paid": True}, {"paid": False}, {"paid": "true"}, {"paid": 1}, {},
                {"paid": None}],
               {1}),
    where_case("property-boolean-eq-false", prop("paid", "eq", False),
               [{"paid": True}, {"paid": False}, {"paid": "false"}, {"paid": 0}, {},
                {"paid": None}],
               {2}),
    where_case("property-boolean-neq-true", prop("paid", "neq", True),
               [{"paid": True}, {"paid": False}, {"paid": "true"}, {"paid": 1}, {},
                {"paid": None}],
               {2, 3, 4, 5, 6}),
    # is_set / is_not_set: null, "" and missing are not set; 0 and false are set
    where_case("property-is-set", prop("form", "is_set"),
               [{"form": "x"}, {"form": None}, {"form": ""}, {}, {"form": 0},
                {"form": False}, {"form": " "}],
               {1, 5, 6, 7}),
    where_case("property-is-not-set", prop("form", "is_not_set"),
               [{"form": "x"}, {"form": None}, {"form": ""}, {}, {"form": 0},
                {"form": False}, {"form": " "}],
               {2, 3, 4}),
]  # fmt: skip

CASES = [
    *STRING_CASES,
    *NUMBER_CASES,
    *BOOLEAN_CASES,
    *DATETIME_CASES,
    *ENUM_CASES,
    *TAGS_CASES,
    *EVENT_CASES,
    *PROPERTY_CASES,
]


@pytest.mark.parametrize(("raw", "people", "expected"), CASES)
def test_operator(
    engine: Engine, raw: dict[str, Any], people: list[Contact], expected: set[int]
) -> None:
    rule = parse(raw, VOCABULARY)
    found = {
        "python": python_matches(rule, people),
        "sql": sql_matches(engine, rule, people),
        # the same expression with "now" as named parameters (`BoundNow`), as the score
        # recompute and the sweep keep it
        "sql, now bound": query_matches(engine, rule, bound=True),
    }
    assert found == dict.fromkeys(found, expected)
