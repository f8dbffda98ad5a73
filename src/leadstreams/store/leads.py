"""Leads: what an open lead and a current match are, outbox rows, clearing a stream."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection

from leadstreams.store.tables import leads, matches, outbox

OPEN_LEAD = and_(leads.c.closed_at.is_(None), leads.c.cleared_at.is_(None))
CURRENT_MATCH = and_(matches.c.cleared_at.is_(None), matches.c.superseded_at.is_(None))


def open_lead_id(connection: Connection, *, contact_id: int) -> int | None:
    query = select(leads.c.id).where(leads.c.contact_id == contact_id, OPEN_LEAD)
    return connection.scalar(query)


def add_outbox(
    connection: Connection, *, topic: str, lead_id: int, payload: dict[str, Any], at: datetime
) -> None:
    add_outbox_rows(connection, [{"topic": topic, "lead_id": lead_id, "payload": payload}], at=at)


def add_outbox_rows(
    connection: Connection, rows: Sequence[dict[str, Any]], *, at: datetime
) -> None:
    """Rows of topic, lead_id and payload, in this order."""
    if rows:
        connection.execute(insert(outbox), [row | {"created_at": at} for row in rows])


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
