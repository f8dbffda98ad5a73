"""Where the rule compiler finds each field: built-in columns, and custom fields in JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, type_coerce
from sqlalchemy.sql import ColumnElement

from leadstreams.rules.ast import FieldType
from leadstreams.rules.compile_sql import EventColumns, SqlColumns
from leadstreams.rules.fields import NO_LEAD, Vocabulary
from leadstreams.rules.sql.dialects import json_boolean, json_member, json_number, json_string
from leadstreams.store.tables import contacts, events, leads
from leadstreams.store.types import IsoText

EVENT_COLUMNS = EventColumns(
    contact_id=events.c.contact_id,
    type=events.c.type,
    occurred_at=events.c.occurred_at,
    properties=events.c.properties,
)


def _custom_field(name: str, type_: FieldType) -> ColumnElement[Any]:
    custom = contacts.c.custom
    match type_:
        case FieldType.NUMBER:
            return json_number(custom, name)
        case FieldType.BOOLEAN:
            return json_boolean(custom, name)
        case FieldType.DATETIME:
            return type_coerce(json_string(custom, name), IsoText())
        case FieldType.TAGS:
            return json_member(custom, name)
        case FieldType.STRING | FieldType.ENUM:
            return json_string(custom, name)
    raise AssertionError(type_)  # pragma: no cover


def _lead_stage() -> ColumnElement[Any]:
    """`domain.matching.lead_stage` in SQL: the stage of the most recent lead not cleared,
    NO_LEAD without one (the live = history property test ties the two)."""
    lead = leads.alias("stage_lead")  # fetch history's queries join `leads` themselves
    latest = (
        select(lead.c.stage)
        .where(lead.c.contact_id == contacts.c.id, lead.c.cleared_at.is_(None))
        .order_by(lead.c.created_at.desc(), lead.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest, NO_LEAD)


def sql_columns(vocabulary: Vocabulary) -> SqlColumns:
    fields: dict[str, ColumnElement[Any]] = {"lead_stage": _lead_stage()}
    for name, definition in vocabulary.fields.items():
        if definition.builtin:
            if name in contacts.c:
                fields[name] = contacts.c[name]
        else:
            fields[name] = _custom_field(name, definition.type)
    return SqlColumns(contact_id=contacts.c.id, fields=fields, events=EVENT_COLUMNS)
