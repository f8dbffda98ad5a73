"""The rule vocabulary: custom fields, and checking rules against it."""

from __future__ import annotations

from typing import Any

from leadstreams.errors import Conflict
from leadstreams.rules import FieldDef, Vocabulary, describe
from leadstreams.rules.describe import PHRASES, TAG_PHRASES
from leadstreams.rules.fields import (
    DAY_OPS,
    DEFAULT_OPERATORS,
    LIST_OPS,
    NO_VALUE_OPS,
    NUMBER_ONLY_OPS,
    OPERATORS,
    PROPERTY_OPERATORS,
    EventTypeDef,
)
from leadstreams.schemas.fields import (
    EventTypeRead,
    FieldCreate,
    FieldRead,
    VocabularyField,
    VocabularyRead,
)
from leadstreams.services.context import Context
from leadstreams.services.streams import parse_rules
from leadstreams.store import fields as fields_store
from leadstreams.store import state


def describe_vocabulary(ctx: Context) -> VocabularyRead:
    with ctx.uow(read_only=True) as uow:
        return vocabulary_description(fields_store.vocabulary(uow.connection))


def vocabulary_description(vocabulary: Vocabulary) -> VocabularyRead:
    return VocabularyRead(
        fields=[_field(f) for f in vocabulary.fields.values()],
        event_types=[_event_type(e) for e in vocabulary.event_types.values()],
        property_operators={kind: list(ops) for kind, ops in PROPERTY_OPERATORS.items()},
        phrases=dict(PHRASES),
        tag_phrases=dict(TAG_PHRASES),
        operator_values={
            "list": list(LIST_OPS),
            "days": list(DAY_OPS),
            "none": list(NO_VALUE_OPS),
            "number": list(NUMBER_ONLY_OPS),
        },
        default_operators=dict(DEFAULT_OPERATORS),
    )


def _field(definition: FieldDef) -> VocabularyField:
    return VocabularyField(
        name=definition.name,
        label=definition.label,
        type=definition.type,
        values=list(definition.values),
        builtin=definition.builtin,
        operators=list(OPERATORS[definition.type]),
    )


def _event_type(kind: EventTypeDef) -> EventTypeRead:
    return EventTypeRead(name=kind.name, verb=kind.verb, noun=kind.noun, builtin=kind.builtin)


def create_field(ctx: Context, *, data: FieldCreate) -> FieldRead:
    taken = f"a field named {data.name!r} exists already"
    with ctx.uow() as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        if data.name in vocabulary.fields:
            raise Conflict(taken)
        definition = FieldDef(data.name, data.type, data.label, tuple(data.values))
        if not fields_store.add(uow.connection, definition=definition, at=uow.clock.now()):
            raise Conflict(taken)
        state.bump_streams_revision(uow.connection)  # live indexes reload their vocabulary
        uow.commit()
    return FieldRead(**data.model_dump(), builtin=False)


def rules_text(ctx: Context, *, raw: Any, counts: bool = False) -> str:
    """The rules in plain English (`counts`: as the rule editor reads them, every count said),
    or InvalidInput with every issue."""
    vocabulary = current(ctx)
    return describe(parse_rules(raw, vocabulary), vocabulary, counts=counts)


def current(ctx: Context) -> Vocabulary:
    """The fields and event types rules may name now."""
    with ctx.uow(read_only=True) as uow:
        return fields_store.vocabulary(uow.connection)
