"""Leads and matches: the writes that rules 3 and 4 need, race-safe through unique keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, insert, select, update
from sqlalchemy.engine import Connection

from leadstreams.domain.matching import CurrentMatch
from leadstreams.store.events import insert_ignoring_conflicts
from leadstreams.store.tables import lead_stage_changes, leads, matches, outbox

OPEN_LEAD = and_(leads.c.closed_at.is_(None), leads.c.cleared_at.is_(None))
CURRENT_MATCH = and_(matches.c.cleared_at.is_(None), matches.c.superseded_at.is_(None))


def current_match(
    connection: Connection, *, stream_id: int, contact_id: int
) -> tuple[int, CurrentMatch] | None:
    query = (
        select(matches.c.id, matches.c.matched_at, leads.c.closed_at)
        .join(leads, leads.c.id == matches.c.lead_id)
        .where(matches.c.stream_id == stream_id, matches.c.contact_id == contact_id, CURRENT_MATCH)
    )
    row = connection.execute(query).first()
    if row is None:
        return None
    return row.id, CurrentMatch(row.matched_at, lead_closed=row.closed_at is not None)


def supersede(connection: Connection, *, match_id: int, at: datetime) -> None:
    connection.execute(update(matches).where(matches.c.id == match_id).values(superseded_at=at))


def open_lead_id(connection: Connection, *, contact_id: int) -> int | None:
    query = select(leads.c.id).where(leads.c.contact_id == contact_id, OPEN_LEAD)
    return connection.scalar(query)


def create_lead(connection: Connection, *, contact_id: int, at: datetime) -> int | None:
    """A new open lead in stage mql; None when the contact has an open lead already."""
    query = (
        insert_ignoring_conflicts(connection, leads)
        .values(contact_id=contact_id, stage="mql", hidden=False, created_at=at, updated_at=at)
        .returning(leads.c.id)
    )
    lead_id: int | None = connection.scalar(query)
    if lead_id is not None:
        connection.execute(
            insert(lead_stage_changes).values(
                lead_id=lead_id, from_stage=None, to_stage="mql", at=at
            )
        )
    return lead_id


def add_match(connection: Connection, *, values: dict[str, Any]) -> int | None:
    """The new match's id; None when the stream already has a current match for the contact."""
    query = insert_ignoring_conflicts(connection, matches).values(**values).returning(matches.c.id)
    match_id: int | None = connection.scalar(query)
    return match_id


def add_outbox(
    connection: Connection, *, topic: str, lead_id: int, payload: dict[str, Any], at: datetime
) -> None:
    connection.execute(
        insert(outbox).values(topic=topic, lead_id=lead_id, payload=payload, created_at=at)
    )


def get(connection: Connection, lead_id: int) -> RowMapping | None:
    return connection.execute(select(leads).where(leads.c.id == lead_id)).mappings().first()


def clear_stream(connection: Connection, *, stream_id: int, at: datetime) -> int:
    """Clear the stream's matches; archive the leads that have no uncleared match left."""
    affected = select(matches.c.lead_id).where(
        matches.c.stream_id == stream_id, matches.c.cleared_at.is_(None)
    )
    lead_ids = sorted(set(connection.scalars(affected)))
    cleared = connection.execute(
        update(matches)
        .where(matches.c.stream_id == stream_id, matches.c.cleared_at.is_(None))
        .values(cleared_at=at)
    ).rowcount
    still_matched = (
        select(matches.c.id)
        .where(matches.c.lead_id == leads.c.id, matches.c.cleared_at.is_(None))
        .exists()
    )
    for chunk in range(0, len(lead_ids), 1000):
        connection.execute(
            update(leads)
            .where(leads.c.id.in_(lead_ids[chunk : chunk + 1000]), ~still_matched)
            .values(cleared_at=at, updated_at=at)
        )
    return int(cleared)
