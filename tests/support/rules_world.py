"""A small world for rule tests: a vocabulary with a custom field of every type, contacts
given as plain dicts, and the two ways of selecting the matching ones (Python and SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from leadstreams.rules import EventRecord, FieldDef, FieldType, Rule, Vocabulary, compile_predicate
from leadstreams.rules.compile_sql import BoundNow, to_sql
from leadstreams.store.rule_columns import sql_columns
from leadstreams.store.tables import contacts, events
from leadstreams.store.types import to_iso_text

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)

CUSTOM_FIELDS = (
    FieldDef("industry", FieldType.STRING, "industry"),
    FieldDef("nps", FieldType.NUMBER, "NPS"),
    FieldDef("newsletter", FieldType.BOOLEAN, "newsletter"),
    FieldDef("demo_at", FieldType.DATETIME, "demo date"),
    FieldDef("plan", FieldType.ENUM, "plan", ("free", "pro", "enterprise")),
    FieldDef("tier", FieldType.ENUM, "tier", ("Gold", "silver")),  # not lower-case
    FieldDef("interests", FieldType.TAGS, "interests"),
)
VOCABULARY = Vocabulary.default(CUSTOM_FIELDS, custom_event_types=["webinar_attended"])
_CUSTOM = {f.name: f for f in CUSTOM_FIELDS}
_COLUMNS = sql_columns(VOCABULARY)
_NULLABLE_COLUMNS = ("first_name", "last_name", "company", "title", "phone", "country", "city")


@dataclass
class Contact:
    fields: dict[str, Any]
    events: list[EventRecord] = field(default_factory=list)


def python_matches(rule: Rule, people: Sequence[Contact], now: datetime = NOW) -> set[int]:
    predicate = compile_predicate(rule)
    return {i + 1 for i, c in enumerate(people) if predicate(fields_of(c), c.events, now)}


def sql_matches(
    engine: Engine, rule: Rule, people: Sequence[Contact], now: datetime = NOW
) -> set[int]:
    load(engine, people)
    return query_matches(engine, rule, now)


def query_matches(
    engine: Engine, rule: Rule, now: datetime = NOW, *, bound: bool = False
) -> set[int]:
    """The contacts the compiled rule selects; `bound`: compiled with "now" as named
    parameters (`BoundNow`), their values given at execution."""
    with engine.connect() as connection:
        if not bound:
            query = select(contacts.c.id).where(to_sql(rule, _COLUMNS, now=now))
            return set(connection.scalars(query))
        named = BoundNow()
        query = select(contacts.c.id).where(to_sql(rule, _COLUMNS, now=named))
        return set(connection.scalars(query, named.values(now)))


def load(engine: Engine, people: Sequence[Contact]) -> None:
    """Replace every contact and event with `people`; contact i gets id i + 1."""
    with engine.begin() as connection:
        connection.execute(delete(events))
        connection.execute(delete(contacts))
        connection.execute(insert(contacts), [_row(i, c) for i, c in enumerate(people)])
        rows = [_event_row(i, n, e) for i, c in enumerate(people) for n, e in enumerate(c.events)]
        if rows:
            connection.execute(insert(events), rows)


def _row(index: int, contact: Contact) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(_NULLABLE_COLUMNS)
    row |= {
        "id": index + 1,
        "email": f"contact{index}@example.com",
        "category": "prospect",
        "lead_score": 0,
        "tags": [],
        "custom": {},
        "created_at": NOW,
        "updated_at": NOW,
    }
    for name, value in contact.fields.items():
        if name in _CUSTOM:
            if value is not None:
                row["custom"][name] = to_iso_text(value) if isinstance(value, datetime) else value
        elif name == "tags":
            row["tags"] = list(value or [])
        else:
            row[name] = value
    return row


def _event_row(contact_index: int, n: int, event: EventRecord) -> dict[str, Any]:
    return {
        "event_id": f"{contact_index}-{n}",
        "contact_id": contact_index + 1,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "received_at": event.occurred_at,
        "properties": dict(event.properties),
    }


def fields_of(contact: Contact) -> dict[str, Any]:
    """The fields as the Python evaluator sees them (defaults filled in as the store does)."""
    defaults = {"category": "prospect", "lead_score": 0, "tags": [], "created_at": NOW}
    return {**defaults, "updated_at": NOW, **contact.fields}
