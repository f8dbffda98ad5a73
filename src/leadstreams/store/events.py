"""Events: idempotent insert by event_id, and one contact's events for rule evaluation."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.engine import Connection

from leadstreams.rules import EventRecord
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


def for_rules_of(
    connection: Connection,
    *,
    contact_ids: Collection[int],
    types: Collection[str],
    since: datetime | None,
) -> dict[int, list[EventRecord]]:
    """The events of these types (since `since`, when every condition has a window) of these
    contacts, in one query, by contact id."""
    found: dict[int, list[EventRecord]] = {contact_id: [] for contact_id in contact_ids}
    if not types or not found:
        return found
    query = select(events.c.contact_id, events.c.type, events.c.occurred_at, events.c.properties)
    query = query.where(Among(events.c.contact_id, "ids"), events.c.type.in_(sorted(types)))
    if since is not None:
        query = query.where(events.c.occurred_at >= since)
    for contact_id, type_, at, props in connection.execute(query, {"ids": sorted(found)}):
        found[contact_id].append(EventRecord(type_, at, props))
    return found


def timeline(
    connection: Connection, *, contact_id: int, limit: int, before_id: int | None
) -> list[RowMapping]:
    query = select(events).where(events.c.contact_id == contact_id)
    if before_id is not None:
        query = query.where(events.c.id < before_id)
    query = query.order_by(events.c.id.desc()).limit(limit)  # newest first, by arrival
    return list(connection.execute(query).mappings())


def remember_types(connection: Connection, *, names: Collection[str], at: datetime) -> None:
    if names:
        rows = [{"name": name, "first_seen_at": at} for name in sorted(names)]
        connection.execute(InsertIgnoringConflicts(event_types), rows)


def known_types(connection: Connection) -> list[str]:
    return list(connection.scalars(select(event_types.c.name)))
