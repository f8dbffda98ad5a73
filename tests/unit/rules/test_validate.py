"""Validation returns every issue at once, each with its path and a plain sentence
(rules.md, "Validation" and "Limits").

The table below holds broken trees and the exact list of `(path, message)` issues each gives.
"""

from __future__ import annotations

from typing import Any

import pytest
from _pytest.mark import ParameterSet

from leadstreams.rules import RuleValidationError, parse, validate
from tests.support.rules_world import VOCABULARY

Issues = list[tuple[str, str]]

NOT_AN_OBJECT = "expected an object: a group (all, any, not) or a condition"
NOT_A_RULE = "expected a group ('all', 'any', 'not') or a condition ('field', 'event')"
BAD_DATE = "expected an ISO 8601 date or datetime, e.g. '2026-01-31T12:00:00Z'"
BAD_PROPERTY_NAME = (
    "a property name has 1 to 64 letters, digits, '_' or '-', and starts with a letter or '_'"
)
EMPTY_STRING = "an empty string counts as no value; use 'is_set' or 'is_not_set'"
MIN_COUNT = "the count must be from 1 to 10000"
WHOLE = "expected a whole number"
WINDOW = "the number of days must be from 1 to 36500"


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    """A field condition; `value` is left out when None."""
    raw: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        raw["value"] = value
    return raw


def event(type_: str = "form_submitted", **keys: Any) -> dict[str, Any]:
    return {"event": type_, **keys}


def where(*conditions: dict[str, Any]) -> dict[str, Any]:
    """A form submission with these property conditions."""
    return event(where=list(conditions))


def nested(levels: int, rule: dict[str, Any]) -> dict[str, Any]:
    """`rule` under `levels` nested `not` groups: the tree is `levels + 1` deep."""
    for _ in range(levels):
        rule = {"not": rule}
    return rule


SET = cond("country", "is_set")  # a valid condition, for padding


def case(case_id: str, raw: Any, issues: Issues) -> ParameterSet:
    return pytest.param(raw, issues, id=case_id)


BROKEN = [
    # --- fields ---------------------------------------------------------------------------------
    case(
        "unknown field suggests the closest name",
        {"all": [cond("lead_score", "gte", 50), SET, cond("leadscore", "gte", 50)]},
        [("rules.all[2].field", "unknown field 'leadscore' (did you mean 'lead_score'?)")],
    ),
    case(
        "unknown field with nothing close",
        cond("shoe_size", "eq", 42),
        [("rules.field", "unknown field 'shoe_size'")],
    ),
    case(
        "custom field names are suggested too",
        cond("newsleter", "eq", True),
        [("rules.field", "unknown field 'newsleter' (did you mean 'newsletter'?)")],
    ),
    case(
        "field name that is not a string",
        {"field": ["country"], "op": "is_set"},
        [("rules.field", "the field name must be a string")],
    ),
    # --- operators ------------------------------------------------------------------------------
    case(
        "operator of another type on a number field",
        {"all": [cond("lead_score", "contains", 5)]},
        [("rules.all[0].op", "operator 'contains' does not apply to number field 'lead_score'")],
    ),
    case(
        "operator of another type on a string field",
        cond("country", "before", "2026-01-01"),
        [("rules.op", "operator 'before' does not apply to string field 'country'")],
    ),
    case(
        "operator of another type on an enum field",
        cond("category", "contains", "cust"),
        [("rules.op", "operator 'contains' does not apply to enum field 'category'")],
    ),
    case(
        "operator of another type on a tags field",
        cond("tags", "eq", "vip"),
        [("rules.op", "operator 'eq' does not apply to tags field 'tags'")],
    ),
    case(
        "operator of another type on a boolean field",
        cond("newsletter", "neq", True),
        [("rules.op", "operator 'neq' does not apply to boolean field 'newsletter'")],
    ),
    case(
        "unknown operator suggests the closest one of the field's type",
        cond("lead_score", "gtee", 50),
        [("rules.op", "unknown operator 'gtee' (did you mean 'gte'?)")],
    ),
    case(
        "unknown operator suggests a string operator",
        cond("company", "startswith", "nordic"),
        [("rules.op", "unknown operator 'startswith' (did you mean 'starts_with'?)")],
    ),
    case(
        "unknown operator with nothing close",
        cond("company", "matches", "nordic"),
        [("rules.op", "unknown operator 'matches'")],
    ),
    case(
        "missing operator",
        {"field": "country", "value": "SE"},
        [("rules.op", "an operator is required")],
    ),
    case(
        "operator that is not a string",
        {"field": "lead_score", "op": 5, "value": 5},
        [("rules.op", "the operator must be a string")],
    ),
    # --- keys -----------------------------------------------------------------------------------
    case(
        "misspelt value key suggests 'value', and the value is missing",
        {"field": "lead_score", "op": "gte", "vaule": 50},
        [
            ("rules.vaule", "unknown key 'vaule' (did you mean 'value'?)"),
            ("rules.value", "operator 'gte' needs a value"),
        ],
    ),
    case(
        "unknown key on a group",
        {"all": [SET], "mode": "strict"},
        [("rules.mode", "unknown key 'mode'")],
    ),
    case(
        "misspelt key on an event condition",
        event(within_day=30),
        [("rules.within_day", "unknown key 'within_day' (did you mean 'within_days'?)")],
    ),
    case(
        "unknown key on a property condition",
        where({"property": "form", "op": "is_set", "negate": True}),
        [("rules.where[0].negate", "unknown key 'negate'")],
    ),
    case(
        "object that is neither a group nor a condition lists its keys",
        {"feild": "country", "op": "is_set"},
        [("rules", NOT_A_RULE + "; found keys 'feild', 'op'")],
    ),
    case("empty object", {}, [("rules", NOT_A_RULE)]),
    # --- value types ----------------------------------------------------------------------------
    case(
        "string for a number",
        cond("lead_score", "gte", "50"),
        [("rules.value", "expected a number")],
    ),
    case(
        "boolean for a number",
        cond("nps", "eq", True),
        [("rules.value", "expected a number")],
    ),
    case(
        "number beyond the limit of exact equality",
        cond("lead_score", "lt", 10**15 + 1),
        [("rules.value", "a number must be between -1000000000000000 and 1000000000000000")],
    ),
    case(
        "number for a string",
        cond("country", "eq", 46),
        [("rules.value", "expected a string")],
    ),
    case(
        "list for a single tag",
        cond("tags", "contains", ["vip"]),
        [("rules.value", "expected a string")],
    ),
    case(
        "string for a boolean",
        cond("newsletter", "eq", "true"),
        [("rules.value", "expected true or false")],
    ),
    case(
        "number for a boolean",
        cond("newsletter", "eq", 1),
        [("rules.value", "expected true or false")],
    ),
    case(
        "impossible ISO date",
        cond("demo_at", "before", "2026-13-01"),
        [("rules.value", BAD_DATE)],
    ),
    case(
        "words for a date",
        cond("created_at", "after", "yesterday"),
        [("rules.value", BAD_DATE)],
    ),
    case(
        "number for a date",
        cond("demo_at", "before", 20260101),
        [("rules.value", BAD_DATE)],
    ),
    case(
        "negative number of days",
        cond("demo_at", "within_last_days", -1),
        [("rules.value", "the number of days must be from 1 to 36500")],
    ),
    case(
        "string for a number of days",
        cond("demo_at", "more_than_days_ago", "3"),
        [("rules.value", "expected a whole number of days")],
    ),
    case(
        "fraction of a day",
        cond("demo_at", "within_last_days", 1.5),
        [("rules.value", "expected a whole number of days")],
    ),
    # --- lists ----------------------------------------------------------------------------------
    case(
        "string for 'in'",
        cond("country", "in", "SE"),
        [("rules.value", "operator 'in' takes a non-empty list of values")],
    ),
    case(
        "empty list for 'not_in'",
        cond("country", "not_in", []),
        [("rules.value", "operator 'not_in' takes a non-empty list of values")],
    ),
    case(
        "empty list for 'contains_any'",
        cond("tags", "contains_any", []),
        [("rules.value", "operator 'contains_any' takes a non-empty list of values")],
    ),
    case(
        "list over 1000 values",
        cond("country", "in", [f"c{i}" for i in range(1001)]),
        [("rules.value", "at most 1000 values are allowed")],
    ),
    case(
        "wrong item inside a list is reported at its index",
        cond("lead_stage", "in", ["mql", 5]),
        [("rules.value[1]", "5 is not one of none, mql, sql, opportunity, won, lost")],
    ),
    case(
        "empty string inside a list",
        cond("city", "in", ["Oslo", ""]),
        [("rules.value[1]", EMPTY_STRING)],
    ),
    # --- between --------------------------------------------------------------------------------
    case(
        "between with one value",
        cond("lead_score", "between", [10]),
        [("rules.value", "'between' takes a list of two values: [low, high]")],
    ),
    case(
        "between with three values",
        cond("lead_score", "between", [1, 2, 3]),
        [("rules.value", "'between' takes a list of two values: [low, high]")],
    ),
    case(
        "between with a single number",
        cond("lead_score", "between", 10),
        [("rules.value", "'between' takes a list of two values: [low, high]")],
    ),
    case(
        "between with low above high",
        cond("lead_score", "between", [20, 10]),
        [("rules.value", "the low end of 'between' must not be above the high end")],
    ),
    case(
        "between dates with low above high",
        cond("demo_at", "between", ["2026-02-01", "2026-01-31T23:59:59Z"]),
        [("rules.value", "the low end of 'between' must not be above the high end")],
    ),
    case(
        "between with only its low end bad names that end",
        cond("lead_score", "between", ["low", 10]),
        [("rules.value[0]", "expected a number")],
    ),
    case(
        "between with only its high end bad names that end",
        cond("lead_score", "between", [10, None]),
        [("rules.value[1]", "expected a number")],
    ),
    case(
        "between dates with only the high end bad names that end",
        cond("demo_at", "between", ["2026-02-01", "soon"]),
        [("rules.value[1]", BAD_DATE)],
    ),
    case(
        "between with two bad ends reports both",
        cond("lead_score", "between", ["low", None]),
        [("rules.value[0]", "expected a number"), ("rules.value[1]", "expected a number")],
    ),
    # --- enums ----------------------------------------------------------------------------------
    case(
        "enum value not allowed suggests the closest",
        cond("category", "eq", "custmer"),
        [
            (
                "rules.value",
                "'custmer' is not one of prospect, customer, other (did you mean 'customer'?)",
            )
        ],
    ),
    case(
        "custom enum value not allowed, inside a list",
        cond("plan", "in", ["pro", "entreprise"]),
        [
            (
                "rules.value[1]",
                "'entreprise' is not one of free, pro, enterprise (did you mean 'enterprise'?)",
            )
        ],
    ),
    case(
        "enum value with nothing close",
        cond("lead_stage", "eq", "hot"),
        [("rules.value", "'hot' is not one of none, mql, sql, opportunity, won, lost")],
    ),
    # --- groups and rule shapes -----------------------------------------------------------------
    case("empty all", {"all": []}, [("rules.all", "an 'all' group needs at least one rule")]),
    case(
        "empty any inside all",
        {"all": [SET, {"any": []}]},
        [("rules.all[1].any", "an 'any' group needs at least one rule")],
    ),
    case(
        "group that is not a list",
        {"any": SET},
        [("rules.any", "an 'any' group takes a list of rules")],
    ),
    case(
        "rules that are not objects",
        {"all": ["lead_score", 50, [SET]]},
        [
            ("rules.all[0]", NOT_AN_OBJECT),
            ("rules.all[1]", NOT_AN_OBJECT),
            ("rules.all[2]", NOT_AN_OBJECT),
        ],
    ),
    case("tree that is a list", [SET], [("rules", NOT_AN_OBJECT)]),
    case("not of a list", {"not": [SET]}, [("rules.not", NOT_AN_OBJECT)]),
    case("not of an empty object", {"not": {}}, [("rules.not", NOT_A_RULE)]),
    # --- strings --------------------------------------------------------------------------------
    case("empty string value", cond("country", "eq", ""), [("rules.value", EMPTY_STRING)]),
    case(
        "string over 1000 characters",
        cond("company", "contains", "x" * 1001),
        [("rules.value", "a value may have at most 1000 characters")],
    ),
    # --- presence of a value --------------------------------------------------------------------
    case(
        "value given to is_set",
        cond("country", "is_set", "SE"),
        [("rules.value", "operator 'is_set' takes no value")],
    ),
    case(
        "false given to is_not_set",
        cond("newsletter", "is_not_set", False),
        [("rules.value", "operator 'is_not_set' takes no value")],
    ),
    case(
        "missing value",
        cond("country", "eq"),
        [("rules.value", "operator 'eq' needs a value")],
    ),
    case(
        "null value",
        {"field": "lead_score", "op": "lt", "value": None},
        [("rules.value", "operator 'lt' needs a value")],
    ),
    # --- event conditions -----------------------------------------------------------------------
    case(
        "unknown event type suggests the closest",
        event("form_submited"),
        [("rules.event", "unknown event type 'form_submited' (did you mean 'form_submitted'?)")],
    ),
    case(
        "unknown event type suggests a custom one",
        event("webinar_attend"),
        [
            (
                "rules.event",
                "unknown event type 'webinar_attend' (did you mean 'webinar_attended'?)",
            )
        ],
    ),
    case(
        "event type that is not snake case",
        event("FormSubmitted"),
        [("rules.event", "the event type must be a snake_case name")],
    ),
    case(
        "event type with a space",
        event("form submitted"),
        [("rules.event", "the event type must be a snake_case name")],
    ),
    case(
        "event type that is not a string",
        {"event": 5},
        [("rules.event", "the event type must be a snake_case name")],
    ),
    case("min_count of 0", event(min_count=0), [("rules.min_count", MIN_COUNT)]),
    case("min_count of -1", event(min_count=-1), [("rules.min_count", MIN_COUNT)]),
    case("min_count in words", event(min_count="two"), [("rules.min_count", WHOLE)]),
    case("min_count of true", event(min_count=True), [("rules.min_count", WHOLE)]),
    case("min_count of 1.5", event(min_count=1.5), [("rules.min_count", WHOLE)]),
    case("min_count over 10000", event(min_count=10_001), [("rules.min_count", MIN_COUNT)]),
    case(
        "within_days of 0",
        event(within_days=0),
        [("rules.within_days", WINDOW)],
    ),
    case("within_days of -5", event(within_days=-5), [("rules.within_days", WINDOW)]),
    case(
        "within_days in words",
        event(within_days="a month"),
        [("rules.within_days", "expected a whole number of days")],
    ),
    # --- where ----------------------------------------------------------------------------------
    case(
        "where that is not a list",
        event(where={"property": "form", "op": "eq", "value": "Contact us"}),
        [("rules.where", "'where' takes a list of property conditions")],
    ),
    case(
        "where item that is not a property condition",
        where({"field": "form", "op": "eq", "value": "x"}),
        [("rules.where[0]", "expected a property condition: {property, op, value}")],
    ),
    case(
        "bad property name",
        where({"property": "form name", "op": "eq", "value": "Contact us"}),
        [("rules.where[0].property", BAD_PROPERTY_NAME)],
    ),
    case(
        "property name starting with a digit",
        where({"property": "1st", "op": "is_set"}),
        [("rules.where[0].property", BAD_PROPERTY_NAME)],
    ),
    case(
        "number operator with a string",
        where({"property": "amount", "op": "gt", "value": "100"}),
        [("rules.where[0].value", "expected a number")],
    ),
    case(
        "string operator with a number",
        where({"property": "form", "op": "contains", "value": 5}),
        [("rules.where[0].value", "expected a string")],
    ),
    case(
        "list of another kind after the first item",
        where({"property": "form", "op": "in", "value": ["Contact us", 5]}),
        [("rules.where[0].value[1]", "expected a string")],
    ),
    case(
        "operator that does not apply to booleans",
        where({"property": "flag", "op": "in", "value": [True]}),
        [("rules.where[0].op", "operator 'in' does not apply to boolean values")],
    ),
    case(
        "field operator on a property",
        where({"property": "sent_at", "op": "before", "value": "2026-01-01"}),
        [("rules.where[0].op", "operator 'before' does not apply to properties")],
    ),
    case(
        "unknown property operator suggests the closest",
        where({"property": "amount", "op": "eqq", "value": 5}),
        [("rules.where[0].op", "unknown operator 'eqq' (did you mean 'eq'?)")],
    ),
    case(
        "property condition without a value",
        where({"property": "form", "op": "eq"}),
        [("rules.where[0].value", "operator 'eq' needs a string, number or boolean value")],
    ),
    case(
        "empty string on a property",
        where({"property": "form", "op": "eq", "value": ""}),
        [("rules.where[0].value", EMPTY_STRING)],
    ),
    case(
        "value given to is_set on a property",
        where({"property": "form", "op": "is_set", "value": "x"}),
        [("rules.where[0].value", "operator 'is_set' takes no value")],
    ),
    # --- limits ---------------------------------------------------------------------------------
    case(
        "depth over 10",
        nested(10, SET),
        [("rules" + ".not" * 10, "the rules nest deeper than 10 levels")],
    ),
    case(
        "depth over 10 in two branches is reported once",
        {"all": [nested(10, SET), nested(12, SET)]},
        [("rules.all[0]" + ".not" * 9, "the rules nest deeper than 10 levels")],
    ),
    case(
        "more than 100 conditions",
        {"all": [SET] * 101},
        [("rules", "the rules have 101 conditions; at most 100 are allowed")],
    ),
    case(
        "property conditions count towards the 100",
        {"all": [SET] * 98 + [where(*[{"property": "form", "op": "is_set"}] * 2)]},
        [("rules", "the rules have 101 conditions; at most 100 are allowed")],
    ),
]


@pytest.mark.parametrize(("raw", "issues"), BROKEN)
def test_a_broken_tree_gives_exactly_its_issues(raw: Any, issues: Issues) -> None:
    assert [(i.path, i.message) for i in validate(raw, VOCABULARY)] == issues


@pytest.mark.parametrize(("raw", "issues"), BROKEN)
def test_parse_refuses_a_broken_tree_with_the_issues_validate_gives(
    raw: Any, issues: Issues
) -> None:
    with pytest.raises(RuleValidationError) as refused:
        parse(raw, VOCABULARY)
    assert refused.value.issues == validate(raw, VOCABULARY)


def test_every_error_in_a_tree_is_reported_together_in_document_order() -> None:
    raw = {
        "all": [
            cond("leadscore", "gte", 50),
            {
                "any": [
                    cond("country", "in", []),
                    cond("company", "contains", 5),
                    {"not": cond("category", "eq", "custmer")},
                ]
            },
            event(
                "form_submited",
                where=[
                    {"property": "form", "op": "eq", "value": "Contact us"},
                    {"property": "amount", "op": "gt", "value": "a lot"},
                ],
                min_count=0,
                within_days=-5,
            ),
            {"field": "city", "op": "is_set", "vaule": "Oslo"},
            {"any": []},
        ]
    }

    assert [str(issue) for issue in validate(raw, VOCABULARY)] == [
        "rules.all[0].field: unknown field 'leadscore' (did you mean 'lead_score'?)",
        "rules.all[1].any[0].value: operator 'in' takes a non-empty list of values",
        "rules.all[1].any[1].value: expected a string",
        "rules.all[1].any[2].not.value: 'custmer' is not one of prospect, customer, other"
        " (did you mean 'customer'?)",
        "rules.all[2].event: unknown event type 'form_submited' (did you mean 'form_submitted'?)",
        "rules.all[2].where[1].value: expected a number",
        "rules.all[2].min_count: the count must be from 1 to 10000",
        "rules.all[2].within_days: the number of days must be from 1 to 36500",
        "rules.all[3].vaule: unknown key 'vaule' (did you mean 'value'?)",
        "rules.all[4].any: an 'any' group needs at least one rule",
    ]


def test_the_error_message_lists_every_issue() -> None:
    raw = {"all": [cond("leadscore", "gte", 50), cond("lead_score", "contains", 5)]}

    with pytest.raises(RuleValidationError) as refused:
        parse(raw, VOCABULARY)

    assert str(refused.value) == (
        "rules.all[0].field: unknown field 'leadscore' (did you mean 'lead_score'?); "
        "rules.all[1].op: operator 'contains' does not apply to number field 'lead_score'"
    )


def test_paths_start_from_the_name_the_caller_gives() -> None:
    issues = validate({"any": [SET, cond("leadscore", "gt", 1)]}, VOCABULARY, path="criteria")

    assert [issue.path for issue in issues] == ["criteria.any[1].field"]


VALID = [
    pytest.param(SET, id="one condition"),
    pytest.param(
        {
            "all": [
                cond("lead_score", "gte", 50),
                {
                    "any": [
                        cond("country", "in", ["SE", "NO", "DK"]),
                        cond("company", "contains", "nordic"),
                    ]
                },
                {"not": cond("category", "eq", "customer")},
                event(
                    where=[{"property": "form", "op": "eq", "value": "Contact us"}],
                    min_count=2,
                    within_days=30,
                ),
            ]
        },
        id="the spec's example",
    ),
    pytest.param(cond("company", "contains", "x" * 1000), id="string of exactly 1000"),
    pytest.param(cond("country", "in", [f"c{i}" for i in range(1000)]), id="list of 1000"),
    pytest.param(nested(9, SET), id="depth of exactly 10"),
    pytest.param({"all": [SET] * 100}, id="exactly 100 conditions"),
    pytest.param(cond("lead_score", "between", [10, 10]), id="between with low equal to high"),
    pytest.param(cond("demo_at", "more_than_days_ago", 0), id="more than 0 days ago"),
    pytest.param(cond("category", "in", ["Customer", "OTHER"]), id="enum values in any case"),
    pytest.param(cond("lead_score", "lt", -(10**15)), id="the lowest number allowed"),
    pytest.param(cond("tags", "is_set", None), id="null value for is_set"),
    pytest.param(event(min_count=10_000, within_days=36_500), id="largest count and window"),
    pytest.param(event(within_days=None, where=[]), id="null window and empty where"),
    pytest.param(event("webinar_attended"), id="custom event type"),
    pytest.param(
        where(
            {"property": "amount", "op": "between", "value": [1, 2.5]},
            {"property": "flag", "op": "neq", "value": False},
            {"property": "utm-source", "op": "is_not_set"},
            {"property": "_id", "op": "in", "value": [1, 2]},
        ),
        id="property conditions of every kind",
    ),
]


@pytest.mark.parametrize("raw", VALID)
def test_a_valid_tree_has_no_issues(raw: Any) -> None:
    assert validate(raw, VOCABULARY) == []
