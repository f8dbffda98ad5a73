"""The typed vocabulary rules are written in: fields, their operators, and event types."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Literal, get_args

from leadstreams.rules.ast import FieldType, Op

OPERATORS: Mapping[FieldType, tuple[Op, ...]] = {
    FieldType.STRING: (
        Op.EQ,
        Op.NEQ,
        Op.CONTAINS,
        Op.NOT_CONTAINS,
        Op.STARTS_WITH,
        Op.ENDS_WITH,
        Op.IN,
        Op.NOT_IN,
        Op.IS_SET,
        Op.IS_NOT_SET,
    ),
    FieldType.NUMBER: (
        Op.EQ,
        Op.NEQ,
        Op.GT,
        Op.GTE,
        Op.LT,
        Op.LTE,
        Op.BETWEEN,
        Op.IS_SET,
        Op.IS_NOT_SET,
    ),
    FieldType.BOOLEAN: (Op.EQ, Op.IS_SET, Op.IS_NOT_SET),
    FieldType.DATETIME: (
        Op.BEFORE,
        Op.AFTER,
        Op.BETWEEN,
        Op.WITHIN_LAST_DAYS,
        Op.MORE_THAN_DAYS_AGO,
        Op.IS_SET,
        Op.IS_NOT_SET,
    ),
    FieldType.ENUM: (Op.EQ, Op.NEQ, Op.IN, Op.NOT_IN, Op.IS_SET, Op.IS_NOT_SET),
    FieldType.TAGS: (
        Op.CONTAINS,
        Op.NOT_CONTAINS,
        Op.CONTAINS_ANY,
        Op.CONTAINS_ALL,
        Op.CONTAINS_NONE,
        Op.IS_SET,
        Op.IS_NOT_SET,
    ),
}

# The operator a new condition starts with, by field type: the first of OPERATORS, except for
# numbers, whose rules are mostly thresholds ("lead score is at least 50").
DEFAULT_OPERATORS: Mapping[FieldType, Op] = {
    type_: Op.GTE if type_ is FieldType.NUMBER else ops[0] for type_, ops in OPERATORS.items()
}

# Operators by the value they take (the parser checks it; the rule editor shapes its input).
LIST_OPS = (Op.IN, Op.NOT_IN, Op.CONTAINS_ANY, Op.CONTAINS_ALL, Op.CONTAINS_NONE)
DAY_OPS = (Op.WITHIN_LAST_DAYS, Op.MORE_THAN_DAYS_AGO)
NO_VALUE_OPS = (Op.IS_SET, Op.IS_NOT_SET)
NUMBER_ONLY_OPS = (Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN)

# Operators on event properties: the value (or the operator) says whether strings, numbers or
# booleans are compared; a property of another kind behaves as missing.
PROPERTY_OPERATORS: Mapping[FieldType, tuple[Op, ...]] = {
    FieldType.STRING: (
        Op.EQ,
        Op.NEQ,
        Op.CONTAINS,
        Op.NOT_CONTAINS,
        Op.STARTS_WITH,
        Op.ENDS_WITH,
        Op.IN,
        Op.NOT_IN,
    ),
    FieldType.NUMBER: (
        Op.EQ,
        Op.NEQ,
        Op.GT,
        Op.GTE,
        Op.LT,
        Op.LTE,
        Op.BETWEEN,
        Op.IN,
        Op.NOT_IN,
    ),
    FieldType.BOOLEAN: (Op.EQ, Op.NEQ),
}
PROPERTY_ANY_KIND_OPERATORS = (Op.IS_SET, Op.IS_NOT_SET)

# The values of the built-in enum fields, defined here beside the fields that name them (rules
# sit below domain, which gives them their meaning: domain.stages says which stages close).
Category = Literal["prospect", "customer", "other"]  # of a contact
CATEGORIES: tuple[Category, ...] = get_args(Category)


class Stage(StrEnum):
    """A lead's stage (product spec, rule 5)."""

    MQL = "mql"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"


NO_LEAD = "none"  # the lead stage of a contact without a lead on the board
LEAD_STAGES = (NO_LEAD, *(stage.value for stage in Stage))

# Names that custom fields, properties and event types may have: they become JSON paths.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
PROPERTY_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}")


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    type: FieldType
    label: str
    values: tuple[str, ...] = ()  # allowed values of an enum
    builtin: bool = False


@dataclass(frozen=True, slots=True)
class EventTypeDef:
    name: str
    verb: str  # past tense: "submitted"
    verb_base: str  # for negation: "did not submit"
    noun: str  # "form"; the property that names the object
    builtin: bool = False


def _builtin(name: str, type_: FieldType, label: str, values: tuple[str, ...] = ()) -> FieldDef:
    return FieldDef(name, type_, label, values, builtin=True)


BUILTIN_FIELDS: tuple[FieldDef, ...] = (
    _builtin("email", FieldType.STRING, "email"),
    _builtin("first_name", FieldType.STRING, "first name"),
    _builtin("last_name", FieldType.STRING, "last name"),
    _builtin("company", FieldType.STRING, "company"),
    _builtin("title", FieldType.STRING, "title"),
    _builtin("phone", FieldType.STRING, "phone"),
    _builtin("city", FieldType.STRING, "city"),
    _builtin("country", FieldType.STRING, "country"),
    _builtin("category", FieldType.ENUM, "category", CATEGORIES),
    _builtin("lead_score", FieldType.NUMBER, "lead score"),
    _builtin("tags", FieldType.TAGS, "tags"),
    _builtin("created_at", FieldType.DATETIME, "date created"),
    _builtin("updated_at", FieldType.DATETIME, "date updated"),
    _builtin("lead_stage", FieldType.ENUM, "lead stage", LEAD_STAGES),
)

BUILTIN_EVENT_TYPES: tuple[EventTypeDef, ...] = (
    EventTypeDef("form_submitted", "submitted", "submit", "form", builtin=True),
    EventTypeDef("email_opened", "opened", "open", "email", builtin=True),
    EventTypeDef("email_clicked", "clicked", "click", "email", builtin=True),
    EventTypeDef("page_visited", "visited", "visit", "page", builtin=True),
)


def custom_event_type(name: str) -> EventTypeDef:
    return EventTypeDef(name, "had", "have", "")


@dataclass(frozen=True)
class Vocabulary:
    """What rules may name: fields by name, and the event types known to the system."""

    fields: Mapping[str, FieldDef] = field(default_factory=dict)
    event_types: Mapping[str, EventTypeDef] = field(default_factory=dict)

    @classmethod
    def default(
        cls, custom_fields: Iterable[FieldDef] = (), custom_event_types: Iterable[str] = ()
    ) -> Vocabulary:
        fields = {f.name: f for f in BUILTIN_FIELDS}
        for custom in custom_fields:
            if custom.name in fields:
                raise ValueError(f"custom field {custom.name!r} shadows a built-in field")
            fields[custom.name] = custom
        events = {e.name: e for e in BUILTIN_EVENT_TYPES}
        for name in custom_event_types:
            events.setdefault(name, custom_event_type(name))
        return cls(fields, events)

    @cached_property
    def custom_datetime_fields(self) -> frozenset[str]:
        """Custom datetime fields: the store keeps them as text in JSON and converts them."""
        return frozenset(
            name
            for name, field in self.fields.items()
            if field.type is FieldType.DATETIME and not field.builtin
        )

    def label(self, name: str) -> str:
        known = self.fields.get(name)
        return known.label if known else name.replace("_", " ")

    def event_type(self, name: str) -> EventTypeDef:
        return self.event_types.get(name) or custom_event_type(name)
