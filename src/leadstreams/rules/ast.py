"""The rule tree: frozen data, no behaviour. Each interpreter lives in its own module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class FieldType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    ENUM = "enum"
    TAGS = "tags"


class Op(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    BEFORE = "before"
    AFTER = "after"
    WITHIN_LAST_DAYS = "within_last_days"
    MORE_THAN_DAYS_AGO = "more_than_days_ago"
    CONTAINS_ANY = "contains_any"
    CONTAINS_ALL = "contains_all"
    CONTAINS_NONE = "contains_none"
    IS_SET = "is_set"
    IS_NOT_SET = "is_not_set"


# A negative operator means exactly "not (its positive)": positives are false on a missing
# value, so negatives are true on one, as the spec asks. Interpreters implement positives only.
NEGATIVE_OF: dict[Op, Op] = {
    Op.NEQ: Op.EQ,
    Op.NOT_IN: Op.IN,
    Op.NOT_CONTAINS: Op.CONTAINS,
    Op.CONTAINS_NONE: Op.CONTAINS_ANY,
    Op.IS_NOT_SET: Op.IS_SET,
}

Scalar = str | int | float | bool | datetime
# A value after parsing: a scalar, a tuple of scalars (in, between, contains_any...) or None.
Value = Scalar | tuple[Scalar, ...] | None


@dataclass(frozen=True, slots=True)
class FieldCondition:
    field: str
    op: Op
    value: Value
    type: FieldType  # the field's type when parsed; not written by dump()


@dataclass(frozen=True, slots=True)
class PropertyCondition:
    """A condition on one property of an event, inside an event condition's `where`."""

    property: str
    op: Op
    value: Value
    type: FieldType | None  # STRING, NUMBER or BOOLEAN from operator and value; None: any kind


@dataclass(frozen=True, slots=True)
class EventCondition:
    event: str
    where: tuple[PropertyCondition, ...] = ()
    min_count: int = 1
    within_days: int | None = None


@dataclass(frozen=True, slots=True)
class AllOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Not:
    rule: Rule


Condition = FieldCondition | EventCondition
Rule = AllOf | AnyOf | Not | FieldCondition | EventCondition


def positive(op: Op) -> tuple[Op, bool]:
    """The positive operator behind `op` and whether `op` negates it."""
    base = NEGATIVE_OF.get(op)
    return (base, True) if base is not None else (op, False)
