"""The archive: cleared matches and the leads they left (product spec, rule 7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from leadstreams.domain.streams import StreamAction
from leadstreams.store.tables import leads, matches, stream_history, streams, users


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


@dataclass(frozen=True, slots=True)
class Departure:
    """How a lead left a board: its match in a stream cleared, or the stream's teams changed."""

    stream_id: int
    stream_name: str
    at: datetime
    by: str | None  # the user's name; None: no user (the command line) or one since removed
    changes: dict[str, Any]  # of the stream's log entry ({} for a clearing)


def clearings_of(connection: Connection, *, lead_id: int) -> list[Departure]:
    """The lead's cleared matches, newest first, each with who cleared its stream."""
    cleared_by = and_(
        stream_history.c.stream_id == matches.c.stream_id,
        stream_history.c.action == StreamAction.CLEARED.value,
        stream_history.c.at == matches.c.cleared_at,
    )
    query = (
        select(matches.c.stream_id, streams.c.name, matches.c.cleared_at, users.c.name)
        .join(streams, streams.c.id == matches.c.stream_id)
        .outerjoin(stream_history, cleared_by)
        .outerjoin(users, users.c.id == stream_history.c.user_id)
        .where(matches.c.lead_id == lead_id, matches.c.cleared_at.is_not(None))
        .order_by(matches.c.cleared_at.desc(), matches.c.id.desc())
    )
    rows = connection.execute(query).tuples()
    return [Departure(stream_id, name, at, by, {}) for stream_id, name, at, by in rows]


def team_edits_of(connection: Connection, *, stream_ids: list[int]) -> list[Departure]:
    """The edits of these streams that changed their teams, newest first."""
    query = (
        select(
            stream_history.c.stream_id, streams.c.name, stream_history.c.at, users.c.name,
            stream_history.c.changes,
        )
        .join(streams, streams.c.id == stream_history.c.stream_id)
        .outerjoin(users, users.c.id == stream_history.c.user_id)
        .where(
            stream_history.c.stream_id.in_(stream_ids),
            stream_history.c.action == StreamAction.EDITED.value,
        )
        .order_by(stream_history.c.id.desc())
    )  # fmt: skip
    found = [Departure(*row) for row in connection.execute(query).tuples()]
    return [edit for edit in found if "team_ids" in edit.changes]
