"""Operators as data: every operator a field or a property accepts has a Python template, an
SQL builder and an English phrase, and no table holds a row that no rule can reach."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from string import Formatter

import pytest

from leadstreams.rules.ast import (
    NEGATIVE_OF,
    EventCondition,
    FieldCondition,
    FieldType,
    Op,
    PropertyCondition,
    Value,
    positive,
)
from leadstreams.rules.compile_sql import FIELD_BUILDERS, PROPERTY_READERS
from leadstreams.rules.describe import PHRASES, TAG_PHRASES
from leadstreams.rules.evaluate import (
    FIELD_TEMPLATES,
    PROPERTY_TEMPLATES,
    EventRecord,
    compile_event_filter,
    compile_predicate,
)
from leadstreams.rules.fields import OPERATORS, PROPERTY_ANY_KIND_OPERATORS, PROPERTY_OPERATORS

FIELD_OPS = [(type_, op) for type_, ops in OPERATORS.items() for op in ops]
PROPERTY_OPS: list[tuple[FieldType | None, Op]] = [
    *((kind, op) for kind, ops in PROPERTY_OPERATORS.items() for op in ops),
    *((None, op) for op in PROPERTY_ANY_KIND_OPERATORS),
]


def _positives(pairs: Iterable[tuple[FieldType | None, Op]]) -> set[tuple[FieldType | None, Op]]:
    return {(type_, positive(op)[0]) for type_, op in pairs}


def test_every_type_accepts_operators() -> None:
    assert set(OPERATORS) == set(FieldType)


@pytest.mark.parametrize(("type_", "op"), FIELD_OPS, ids=lambda x: str(x))
def test_a_field_operator_has_a_template_a_builder_and_a_phrase(type_: FieldType, op: Op) -> None:
    base, _ = positive(op)
    assert (type_, base) in FIELD_TEMPLATES
    assert base in FIELD_BUILDERS[type_]
    assert op in PHRASES  # tags read some of them in the plural (TAG_PHRASES)


@pytest.mark.parametrize(("kind", "op"), PROPERTY_OPS, ids=lambda x: str(x))
def test_a_property_operator_has_a_template_a_builder_and_a_phrase(
    kind: FieldType | None, op: Op
) -> None:
    base, _ = positive(op)
    assert (kind, base) in PROPERTY_TEMPLATES
    if kind is not None:  # is_set of any kind compiles to its own SQL construct
        assert kind in PROPERTY_READERS
        assert base in FIELD_BUILDERS[kind]
    assert op in PHRASES


def test_the_tables_hold_no_operator_that_no_rule_reaches() -> None:
    assert set(FIELD_TEMPLATES) == _positives(FIELD_OPS)
    assert set(PROPERTY_TEMPLATES) == _positives(PROPERTY_OPS)
    builders = {(type_, op) for type_, ops in FIELD_BUILDERS.items() for op in ops}
    assert builders == _positives(FIELD_OPS) | _positives(
        (kind, op) for kind, op in PROPERTY_OPS if kind is not None
    )
    assert set(PHRASES) == {op for _, op in FIELD_OPS + PROPERTY_OPS}
    assert set(TAG_PHRASES) <= set(OPERATORS[FieldType.TAGS])


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template) if name is not None]


TEMPLATES: Mapping[str, str] = {
    f"{table} {type_} {op}": template
    for table, templates in (("field", FIELD_TEMPLATES), ("property", PROPERTY_TEMPLATES))
    for (type_, op), template in templates.items()
}


@pytest.mark.parametrize("template", TEMPLATES.values(), ids=list(TEMPLATES))
def test_a_template_reads_its_value_once_before_any_other_use(template: str) -> None:
    """A field condition binds the value at `{r}`: a use before it would read it unbound."""
    uses = [name for name in _placeholders(template) if name in ("r", "v", "f")]
    assert uses[0] == "r"
    assert uses.count("r") == 1


NOW = datetime(2026, 6, 15, tzinfo=UTC)
_SAMPLES: Mapping[FieldType, Value] = {
    FieldType.STRING: "x",
    FieldType.NUMBER: 1,
    FieldType.BOOLEAN: True,
    FieldType.DATETIME: NOW,
    FieldType.ENUM: "x",
    FieldType.TAGS: "x",
}
_LIST_OPS = (Op.IN, Op.NOT_IN, Op.CONTAINS_ANY, Op.CONTAINS_ALL, Op.CONTAINS_NONE)


def _value(type_: FieldType | None, op: Op) -> Value:
    if type_ is None or op in (Op.IS_SET, Op.IS_NOT_SET):
        return None
    if op in (Op.WITHIN_LAST_DAYS, Op.MORE_THAN_DAYS_AGO):
        return 1
    sample = _SAMPLES[type_]
    assert sample is not None and not isinstance(sample, tuple)
    if op is Op.BETWEEN:
        return (sample, sample)
    return (sample,) if op in _LIST_OPS else sample


@pytest.mark.parametrize(("type_", "op"), FIELD_OPS, ids=lambda x: str(x))
def test_a_field_template_compiles_and_a_missing_value_fails_its_positive(
    type_: FieldType, op: Op
) -> None:
    predicate = compile_predicate(FieldCondition("f", op, _value(type_, op), type_))
    assert predicate({}, [], NOW) is (op in NEGATIVE_OF)


@pytest.mark.parametrize(("kind", "op"), PROPERTY_OPS, ids=lambda x: str(x))
def test_a_property_template_compiles_and_a_missing_value_fails_its_positive(
    kind: FieldType | None, op: Op
) -> None:
    where = (PropertyCondition("p", op, _value(kind, op), kind),)
    accepts = compile_event_filter(EventCondition("e", where))
    assert accepts(EventRecord("e", NOW, {})) is (op in NEGATIVE_OF)
