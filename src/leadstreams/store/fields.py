"""Custom field definitions and the vocabulary they make with the built-in fields."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from leadstreams.rules import FieldDef, FieldType, Vocabulary
from leadstreams.store import events
from leadstreams.store.tables import field_definitions


def custom_fields(connection: Connection) -> list[FieldDef]:
    rows = connection.execute(select(field_definitions).order_by(field_definitions.c.id))
    return [_definition(row) for row in rows.mappings()]


def _definition(row: RowMapping) -> FieldDef:
    return FieldDef(row["name"], FieldType(row["type"]), row["label"], tuple(row["values"]))


def vocabulary(connection: Connection) -> Vocabulary:
    return Vocabulary.default(custom_fields(connection), events.known_types(connection))


def add(connection: Connection, *, definition: FieldDef, at: datetime) -> bool:
    """False when a field of that name exists already (added a moment ago by another request)."""
    try:
        connection.execute(
            insert(field_definitions).values(
                name=definition.name,
                label=definition.label,
                type=str(definition.type),
                values=list(definition.values),
                created_at=at,
            )
        )
    except IntegrityError:
        return False
    return True
