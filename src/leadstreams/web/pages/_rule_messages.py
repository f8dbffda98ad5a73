"""The rule parser's issues in the words of the rule editor: its labels ("Lead score", "is at
least", "From", "At least (times)") instead of operator names, and what to do about each.

The API keeps the parser's own messages (operators by name suit a developer); a person in the
editor reads these (issue 13, item 6).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadstreams.errors import ErrorDetail
from leadstreams.rules.ast import FieldType, Op
from leadstreams.rules.describe import PHRASES, TAG_PHRASES
from leadstreams.rules.fields import LIST_OPS, Vocabulary

_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")
_UNKNOWN_FIELD = re.compile(r"unknown field .*?(?: \(did you mean '(\w+)'\?\))?")


@dataclass
class _Where:
    """What a path points at: the condition's subject as the editor labels it, its operator
    and type, and the key of the condition the issue is about (value, op, min_count…)."""

    subject: str = "This rule"
    type: FieldType | None = None
    op: str | None = None
    key: str = ""
    is_property: bool = False


def plain_rule_issues(
    raw: Any, issues: list[ErrorDetail], vocabulary: Vocabulary
) -> list[ErrorDetail]:
    return [ErrorDetail(i.path, plain_rule_issue(raw, i, vocabulary)) for i in issues]


def plain_rule_issue(raw: Any, issue: ErrorDetail, vocabulary: Vocabulary) -> str:
    where = _locate(raw, issue.path, vocabulary)
    unknown = _UNKNOWN_FIELD.fullmatch(issue.message)
    if unknown:
        return _unknown_field(vocabulary)(where, unknown)
    for pattern, say in _MESSAGES:
        found = pattern.fullmatch(issue.message)
        if found:
            return say(where, found)
    return (
        issue.message[:1].upper() + issue.message[1:] + ("" if issue.message.endswith(".") else ".")
    )


def _locate(raw: Any, path: str, vocabulary: Vocabulary) -> _Where:
    where, node = _Where(), raw
    if isinstance(node, dict):
        _describe_node(where, node, vocabulary)
    for name, index in _STEP.findall(path.removeprefix("rules")):
        if name:
            where.key = name
        if isinstance(node, dict) and name in node:
            node = node[name]
        elif isinstance(node, list) and index and int(index) < len(node):
            node = node[int(index)]
        else:
            break
        if isinstance(node, dict):
            _describe_node(where, node, vocabulary)
    return where


def _describe_node(where: _Where, node: dict[str, Any], vocabulary: Vocabulary) -> None:
    op = node.get("op") if isinstance(node.get("op"), str) else None
    if isinstance(node.get("field"), str):
        known = vocabulary.fields.get(node["field"])
        where.subject = (known.label if known else node["field"]).capitalize()
        where.type, where.op, where.is_property = (known.type if known else None), op, False
    elif isinstance(node.get("event"), str):
        kind = vocabulary.event_type(node["event"])
        where.subject = f"{kind.verb.capitalize()} {kind.noun}".strip()
        where.type, where.op, where.is_property = None, None, False
    elif isinstance(node.get("property"), str):
        where.subject = f"Property “{node['property']}”"
        where.type, where.op, where.is_property = None, op, True


def _op_label(where: _Where, op: str | None = None) -> str:
    """The operator as the editor's menu shows it: "is at least", "is within the last … days"."""
    chosen = op or where.op or ""
    if chosen not in Op.__members__.values():
        return chosen
    tags = TAG_PHRASES if where.type is FieldType.TAGS else {}
    phrase = tags.get(Op(chosen)) or PHRASES[Op(chosen)]
    return phrase.replace(" {v0} and {v1}", "").replace(" {v}", "")


def _needs_value(where: _Where, _: re.Match[str]) -> str:
    if where.is_property:
        return f"Enter a value for {where.subject[0].lower()}{where.subject[1:]}, or remove it."
    op = where.op
    what = "a value"
    if where.type is FieldType.NUMBER or op in ("gt", "gte", "lt", "lte"):
        what = "a number"
    elif where.type is FieldType.DATETIME and op not in ("within_last_days", "more_than_days_ago"):
        what = "a date"
    elif op in ("within_last_days", "more_than_days_ago"):
        what = "a number of days"
    elif op in LIST_OPS:
        what = "one or more values"
    if where.type is FieldType.ENUM:
        what = "a value from the list" if op not in LIST_OPS else "one or more values from the list"
    return f"Enter {what} for “{where.subject} {_op_label(where)}”."


def _empty_text(where: _Where, _: re.Match[str]) -> str:
    if where.is_property:
        return _needs_value(where, _)
    unset = _op_label(where, "is_not_set")
    return f"Type a value. To find contacts without one, choose the operator “{unset}” instead."


def _too_large(where: _Where, _: re.Match[str]) -> str:
    return "This number is too large: use at most 15 digits."


def _count(where: _Where, found: re.Match[str]) -> str:
    return f"Enter a number of times from 1 to {int(found.group(1)):,}."


def _days(where: _Where, found: re.Match[str]) -> str:
    low, high = int(found.group(1)), int(found.group(2))
    return f"Enter a number of days from {low} to {high:,}."


def _not_for(where: _Where, found: re.Match[str]) -> str:
    label = _op_label(where, found.group(1))
    return f"The operator “{label}” does not work with {where.subject}: choose another one."


def _not_one_of(where: _Where, found: re.Match[str]) -> str:
    return f"Choose one of: {found.group(1)}."


def _unknown_field(vocabulary: Vocabulary) -> Callable[[_Where, re.Match[str]], str]:
    def say(where: _Where, found: re.Match[str]) -> str:
        close = vocabulary.fields.get(found.group(1) or "")
        hint = f" Did you mean “{close.label.capitalize()}”?" if close else ""
        return "There is no such field: choose one from the list." + hint

    return say


def _say(text: str) -> Callable[[_Where, re.Match[str]], str]:
    return lambda where, found: text


_MESSAGES: list[tuple[re.Pattern[str], Callable[[_Where, re.Match[str]], str]]] = [
    (re.compile(r"operator '\w+' needs a value"), _needs_value),
    (re.compile(r"operator '\w+' needs a string, number or boolean value"), _needs_value),
    (re.compile(r"an empty string counts as no value; .*"), _empty_text),
    (re.compile(r"a number must be between .*"), _too_large),
    (
        re.compile(r"operator '\w+' takes no value"),
        _say("This operator takes no value: clear the value."),
    ),
    (
        re.compile(r"operator '\w+' takes a non-empty list of values"),
        _say("Enter at least one value (separate several with commas)."),
    ),
    (
        re.compile(r"at most (\d+) values are allowed"),
        lambda w, f: f"Use at most {int(f.group(1)):,} values.",
    ),
    (re.compile(r"'between' takes a list of two values.*"), _say("Fill in both “From” and “To”.")),
    (
        re.compile(r"the low end of 'between' must not be above the high end"),
        _say("“From” must not be above “To”: swap them."),
    ),
    (re.compile(r"expected a number"), _say("Enter a number of at most 15 digits, e.g. 50.")),
    (
        re.compile(r"expected a whole number of days"),
        _say("Enter a whole number of days, e.g. 30."),
    ),
    (re.compile(r"expected a whole number"), _say("Enter a whole number, e.g. 2.")),
    (re.compile(r"the count must be from 1 to (\d+)"), _count),
    (re.compile(r"the number of days must be from (\d+) to (\d+)"), _days),
    (re.compile(r"expected an ISO 8601 date.*"), _say("Choose a date.")),
    (re.compile(r"expected true or false"), _say("Choose true or false.")),
    (re.compile(r"expected a string"), _say("Type a value.")),
    (
        re.compile(r"a value may have at most (\d+) characters"),
        lambda w, f: f"Use at most {int(f.group(1)):,} characters.",
    ),
    (re.compile(r"operator '(\w+)' does not apply to .*"), _not_for),
    (re.compile(r"an operator is required"), _say("Choose an operator.")),
    (re.compile(r"unknown operator .*"), _say("Choose an operator from the list.")),
    (
        re.compile(r"unknown event type .*"),
        _say("This activity is unknown: choose one from the list."),
    ),
    (
        re.compile(r"a property name has .*"),
        _say(
            "Name the property with up to 64 letters, digits, “_” or “-”, starting with a"
            " letter, e.g. campaign."
        ),
    ),
    (
        re.compile(r"an '(all|any)' group needs at least one rule"),
        _say("This group is empty: add a rule to it, or remove the group."),
    ),
    (re.compile(r"'.*' is not one of (.*?)(?: \(did you mean .*\))?"), _not_one_of),
    (
        re.compile(r"the rules have (\d+) conditions; at most (\d+) are allowed"),
        lambda w, f: (
            f"The rules have {f.group(1)} conditions; remove some to keep to {f.group(2)}."
        ),
    ),
    (
        re.compile(r"the rules nest deeper than (\d+) levels"),
        lambda w, f: f"Groups nest deeper than {f.group(1)} levels: flatten some.",
    ),
]
