"""The archive: cleared matches and the leads they left (product spec, rule 7)."""

from __future__ import annotations

from sqlalchemy import RowMapping, select
from sqlalchemy.engine import Connection

from leadstreams.store.tables import leads, matches, streams


def cleared_matches(
    connection: Connection, *, stream_id: int | None, limit: int
) -> list[RowMapping]:
    """Cleared matches, newest first, with their lead's state."""
    query = (
        select(
            matches,
            streams.c.name.label("stream_name"),
            leads.c.stage,
            leads.c.cleared_at.label("lead_cleared_at"),
        )
        .join(streams, streams.c.id == matches.c.stream_id)
        .join(leads, leads.c.id == matches.c.lead_id)
        .where(matches.c.cleared_at.is_not(None))
        .order_by(matches.c.cleared_at.desc(), matches.c.id.desc())
        .limit(limit)
    )
    if stream_id is not None:
        query = query.where(matches.c.stream_id == stream_id)
    return list(connection.execute(query).mappings())
