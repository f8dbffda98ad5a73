"""The rule vocabulary: custom fields, and checking rules against it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from leadstreams.errors import Conflict
from leadstreams.rules import FieldDef, Vocabulary, describe
from leadstreams.rules.fields import OPERATORS, PROPERTY_OPERATORS
from leadstreams.schemas.fields import FieldCreate
from leadstreams.services.context import Context
from leadstreams.services.streams import parse_rules
from leadstreams.store import fields as fields_store
from leadstreams.store import state


def describe_vocabulary(ctx: Context) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return vocabulary_description(fields_store.vocabulary(uow.connection))


def vocabulary_description(vocabulary: Vocabulary) -> dict[str, Any]:
    fields = [
        {
            "name": f.name,
            "label": f.label,
            "type": str(f.type),
            "values": list(f.values),
            "builtin": f.builtin,
            "operators": [str(op) for op in OPERATORS[f.type]],
        }
        for f in vocabulary.fields.values()
    ]
    events = [
        {"name": e.name, "verb": e.verb, "noun": e.noun, "builtin": e.builtin}
        for e in vocabulary.event_types.values()
    ]
    property_ops = {str(kind): [str(op) for op in ops] for kind, ops in PROPERTY_OPERATORS.items()}
    return {"fields": fields, "event_types": events, "property_operators": property_ops}


def create_field(ctx: Context, *, data: FieldCreate) -> dict[str, Any]:
    with ctx.uow() as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        if data.name in vocabulary.fields:
            raise Conflict(f"a field named {data.name!r} exists already")
        definition = FieldDef(data.name, data.type, data.label, tuple(data.values))
        try:
            fields_store.add(uow.connection, definition=definition, at=uow.clock.now())
        except IntegrityError as error:
            raise Conflict(f"a field named {data.name!r} exists already") from error
        state.bump_streams_revision(uow.connection)  # live indexes reload their vocabulary
        uow.commit()
    return data.model_dump(mode="json") | {"builtin": False}


def rules_text(ctx: Context, *, raw: Any) -> str:
    with ctx.uow(read_only=True) as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
    return describe(parse_rules(raw, vocabulary), vocabulary)
