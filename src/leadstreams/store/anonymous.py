"""Visitors known only by a tracking client's anonymousId, and their events until an
identify joins them to a contact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from leadstreams.store.sql import insert_rows
from leadstreams.store.tables import anonymous_events, anonymous_visitors


@dataclass(frozen=True, slots=True)
class AnonymousEvent:
    event_id: str
    type: str
    occurred_at: datetime
    properties: dict[str, Any]


def _upsert(connection: Connection, values: dict[str, Any], update: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT (anonymous_id) DO UPDATE, spelled alike by both databases; it
    waits for a concurrent join of the same visitor, so it reads the contact that made."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(anonymous_visitors).values(**values)
    statement = statement.on_conflict_do_update(index_elements=["anonymous_id"], set_=update)
    return connection.execute(statement.returning(anonymous_visitors.c.contact_id)).scalar_one()


def seen(connection: Connection, *, anonymous_id: str, now: datetime) -> int | None:
    """Notes the visitor as seen now; the contact it joined, if it has."""
    values = {"anonymous_id": anonymous_id, "first_seen_at": now, "last_seen_at": now}
    contact_id: int | None = _upsert(connection, values, {"last_seen_at": now})
    return contact_id


def join(connection: Connection, *, anonymous_id: str, contact_id: int, now: datetime) -> None:
    """The visitor is this contact from now on (a later identify may name another)."""
    joined = {"contact_id": contact_id, "joined_at": now, "last_seen_at": now}
    _upsert(connection, {"anonymous_id": anonymous_id, "first_seen_at": now} | joined, joined)


def add_events(connection: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Stores the events; one whose event_id is stored already is a retry (left out)."""
    if not rows:
        return 0
    return len(insert_rows(connection, anonymous_events, rows, returning=("id",)).all())


def take_events(connection: Connection, *, anonymous_id: str) -> list[AnonymousEvent]:
    """The visitor's events in the order they came, removed (its contact records them)."""
    query = (
        select(anonymous_events)
        .where(anonymous_events.c.anonymous_id == anonymous_id)
        .order_by(anonymous_events.c.id)
    )
    rows = connection.execute(query).mappings().all()
    if rows:
        ids = [row["id"] for row in rows]
        connection.execute(delete(anonymous_events).where(anonymous_events.c.id.in_(ids)))
    fields = AnonymousEvent.__dataclass_fields__
    return [AnonymousEvent(**{name: row[name] for name in fields}) for row in rows]


def pending(connection: Connection, *, anonymous_id: str) -> list[str]:
    """The event_ids a visitor's events wait under (for tests and support)."""
    query = select(anonymous_events.c.event_id).where(
        anonymous_events.c.anonymous_id == anonymous_id
    )
    return list(connection.scalars(query.order_by(anonymous_events.c.id)))


def forget_before(connection: Connection, *, cutoff: datetime) -> tuple[int, int]:
    """Drops what was last seen before `cutoff`: (events, visitors) dropped."""
    events = connection.execute(
        delete(anonymous_events).where(anonymous_events.c.received_at < cutoff)
    ).rowcount
    visitors = connection.execute(
        delete(anonymous_visitors).where(anonymous_visitors.c.last_seen_at < cutoff)
    ).rowcount
    return events, visitors
