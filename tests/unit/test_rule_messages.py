"""The rule editor's messages (issue 13, item 6): the parser's issues in the editor's labels,
saying what to do; never an operator's name, a validator's phrase or a 16-digit bound."""

from __future__ import annotations

import re
from typing import Any

import pytest

from leadstreams.errors import ErrorDetail
from leadstreams.rules import Vocabulary
from leadstreams.rules.parse import validate
from leadstreams.web.pages._rule_messages import plain_rule_issues

VOCABULARY = Vocabulary.default()
SCORE = {"field": "lead_score", "op": "gte"}
FORM = {"event": "form_submitted"}

CASES: list[tuple[Any, str, str]] = [
    ({"all": [SCORE]}, "rules.all[0].value", "Enter a number for “Lead score is at least”."),
    ({"field": "country", "op": "in", "value": None}, "rules.value",
     "Enter one or more values for “Country is one of”."),
    ({"field": "city", "op": "eq", "value": ""}, "rules.value",
     "Type a value. To find contacts without one, choose the operator “is not set” instead."),
    ({"field": "tags", "op": "contains", "value": ""}, "rules.value",
     "Type a value. To find contacts without one, choose the operator “are empty” instead."),
    (SCORE | {"value": 10**16}, "rules.value", "This number is too large: use at most 15 digits."),
    (SCORE | {"value": "many"}, "rules.value", "Enter a number of at most 15 digits, e.g. 50."),
    ({"field": "lead_score", "op": "between", "value": [9, 1]}, "rules.value",
     "“From” must not be above “To”: swap them."),
    ({"field": "lead_score", "op": "contains", "value": 1}, "rules.op",
     "The operator “contains” does not work with Lead score: choose another one."),
    ({"field": "leadscore", "op": "gte", "value": 1}, "rules.field",
     "There is no such field: choose one from the list. Did you mean “Lead score”?"),
    (FORM | {"min_count": 0}, "rules.min_count", "Enter a number of times from 1 to 10,000."),
    (FORM | {"within_days": 0}, "rules.within_days", "Enter a number of days from 1 to 36,500."),
    (FORM | {"where": [{"property": "campaign", "op": "eq"}]}, "rules.where[0].value",
     "Enter a value for property “campaign”, or remove it."),
    (FORM | {"where": [{"property": "1x", "op": "eq", "value": "a"}]}, "rules.where[0].property",
     "Name the property with up to 64 letters, digits, “_” or “-”, starting with a letter, "
     "e.g. campaign."),
    ({"all": [{"any": []}]}, "rules.all[0].any",
     "This group is empty: add a rule to it, or remove the group."),
    ({"field": "category", "op": "eq", "value": "vip"}, "rules.value",
     "Choose one of: prospect, customer, other."),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "path", "message"), CASES)
def test_each_issue_reads_in_the_editors_words(raw: Any, path: str, message: str) -> None:
    issues = [ErrorDetail(i.path, i.message) for i in validate(raw, VOCABULARY)]
    plain = {d.path: d.message for d in plain_rule_issues(raw, issues, VOCABULARY)}
    assert plain[path] == message


@pytest.mark.parametrize(("raw", "path", "message"), CASES)
def test_no_message_names_an_operator_or_a_huge_bound(raw: Any, path: str, message: str) -> None:
    del path, message
    issues = [ErrorDetail(i.path, i.message) for i in validate(raw, VOCABULARY)]
    for detail in plain_rule_issues(raw, issues, VOCABULARY):
        assert not re.search(r"'\w+'|\b\w+_\w+\b|\d{16}|should", detail.message), detail
        assert detail.message.lstrip("“")[0].isupper() and detail.message.endswith((".", "?"))
