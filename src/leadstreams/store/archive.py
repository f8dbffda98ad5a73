"""The archive: cleared matches and the leads they left (product spec, rule 7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from leadstreams.store.tables import leads, matches, streams


@dataclass(frozen=True, slots=True)
class ClearedMatch:
    id: int
    lead_id: int
    stream_id: int
    stream_name: str
    contact_id: int
    matched_at: datetime
    origin: str
    trigger: dict[str, Any]
    explanation: dict[str, Any] | None
    cleared_at: datetime
    stage: str  # of the lead, now
    lead_cleared_at: datetime | None  # None: the lead is still on the board


_CLEARED = (
    matches.c.id, matches.c.lead_id, matches.c.stream_id, streams.c.name, matches.c.contact_id,
    matches.c.matched_at, matches.c.origin, matches.c.trigger, matches.c.explanation,
    matches.c.cleared_at, leads.c.stage, leads.c.cleared_at,
)  # fmt: skip


def cleared_matches(
    connection: Connection, *, stream_id: int | None, limit: int
) -> list[ClearedMatch]:
    """Cleared matches, newest first, with their lead's state."""
    query = (
        select(*_CLEARED)
        .join(streams, streams.c.id == matches.c.stream_id)
        .join(leads, leads.c.id == matches.c.lead_id)
        .where(matches.c.cleared_at.is_not(None))
        .order_by(matches.c.cleared_at.desc(), matches.c.id.desc())
        .limit(limit)
    )
    if stream_id is not None:
        query = query.where(matches.c.stream_id == stream_id)
    return [ClearedMatch(*row) for row in connection.execute(query)]
