"""Events: idempotent insert by event_id, and one contact's events for rule evaluation."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from leadstreams.store.sql import Among, InsertIgnoringConflicts, insert_rows
from leadstreams.store.tables import event_types, events


def add_many(connection: Connection, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """New events' ids by event_id; rows whose event_id exists already are left out."""
    if not rows:
        return {}
    made = insert_rows(connection, events, rows, returning=("id", "event_id"))
    return {event_id: new_id for new_id, event_id in made}


_STORED = select(events.c.event_id, events.c.id, events.c.contact_id).where(
    Among(events.c.event_id, "event_ids")
)


def stored(connection: Connection, event_ids: Collection[str]) -> dict[str, tuple[int, int]]:
    """(id, contact_id) of the events stored with these event_ids, by event_id."""
    if not event_ids:
        return {}
    found = connection.execute(_STORED, {"event_ids": sorted(set(event_ids))})
    return {event_id: (id_, contact_id) for event_id, id_, contact_id in found}


@dataclass(frozen=True, slots=True)
class Activity:
    """An event as a contact's timeline shows it."""

    id: int
    event_id: str
    type: str
    occurred_at: datetime
    received_at: datetime
    properties: dict[str, Any]


_ACTIVITY = tuple(events.c[name] for name in Activity.__dataclass_fields__)


def timeline(
    connection: Connection, *, contact_id: int, limit: int, before: tuple[datetime, int] | None
) -> list[Activity]:
    """Newest first in the order things happened (`occurred_at`, ties by id), not in the order
    they arrived: a back-dated or imported event takes its place. `before` is the
    (occurred_at, id) of the last event of the previous page."""
    query = select(*_ACTIVITY).where(events.c.contact_id == contact_id)
    if before is not None:
        at, event_id = before
        query = query.where(
            or_(
                events.c.occurred_at < at,
                and_(events.c.occurred_at == at, events.c.id < event_id),
            )
        )
    query = query.order_by(events.c.occurred_at.desc(), events.c.id.desc()).limit(limit)
    return [Activity(*row) for row in connection.execute(query)]


def remember_types(connection: Connection, *, names: Collection[str], at: datetime) -> None:
    if names:
        rows = [{"name": name, "first_seen_at": at} for name in sorted(names)]
        connection.execute(InsertIgnoringConflicts(event_types), rows)


def known_types(connection: Connection) -> list[str]:
    return list(connection.scalars(select(event_types.c.name)))
