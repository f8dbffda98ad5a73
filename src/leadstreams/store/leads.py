"""Leads: what an open lead and a current match are, outbox rows, clearing a stream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection

from leadstreams.domain.topics import SEEN_BY, BoardChange
from leadstreams.store.tables import leads, matches, outbox, stream_teams

OPEN_LEAD = and_(leads.c.closed_at.is_(None), leads.c.cleared_at.is_(None))
CURRENT_MATCH = and_(matches.c.cleared_at.is_(None), matches.c.superseded_at.is_(None))
# A lead is shown with, and delivered to the teams of, the streams of its uncleared matches
# (a superseded match still holds: the lead was made for it). Every reader says it this way.
SHOWN_MATCH = matches.c.cleared_at.is_(None)


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


@dataclass(frozen=True, slots=True)
class ClearedLead:
    """A lead whose match in a cleared stream was cleared."""

    lead_id: int
    contact_id: int
    left_board: bool  # no uncleared match left: it left every board (its `cleared_at` is set)
    team_ids: list[int]  # the teams whose boards showed it before


@dataclass(frozen=True, slots=True)
class Clearing:
    matches: int
    leads: list[ClearedLead]


def announce_stream(
    connection: Connection, *, stream_id: int, team_ids: Iterable[int], what: str, at: datetime
) -> None:
    """A `stream.changed` row (no lead): open boards and stream lists read the stream again.
    `team_ids`: the teams it delivers to, before and after the change."""
    payload = {"stream_id": stream_id, "what": what, SEEN_BY: sorted(set(team_ids))}
    row = {"topic": BoardChange.STREAM_CHANGED.value, "lead_id": None, "payload": payload}
    add_outbox_rows(connection, [row], at=at)


def clear_stream(connection: Connection, *, stream_id: int, at: datetime) -> Clearing:
    """Clear the stream's matches; archive the leads that have no uncleared match left."""
    affected = select(matches.c.lead_id, matches.c.contact_id).where(
        matches.c.stream_id == stream_id, matches.c.cleared_at.is_(None)
    )
    contact_of = dict(connection.execute(affected).tuples().all())
    lead_ids = sorted(contact_of)
    teams_before: dict[int, list[int]] = {}
    for chunk in _chunks(lead_ids):
        teams_before |= team_ids_of_leads(connection, lead_ids=chunk)
    cleared = connection.execute(
        update(matches)
        .where(matches.c.stream_id == stream_id, matches.c.cleared_at.is_(None))
        .values(cleared_at=at)
    ).rowcount
    still_matched = (
        select(matches.c.id).where(matches.c.lead_id == leads.c.id, SHOWN_MATCH).exists()
    )
    left: set[int] = set()
    for chunk in _chunks(lead_ids):
        connection.execute(
            update(leads)
            .where(leads.c.id.in_(chunk), ~still_matched)
            .values(cleared_at=at, updated_at=at)
        )
        gone = select(leads.c.id).where(leads.c.id.in_(chunk), leads.c.cleared_at == at)
        left |= set(connection.scalars(gone))
    found = [ClearedLead(i, contact_of[i], i in left, teams_before.get(i, [])) for i in lead_ids]
    return Clearing(int(cleared), found)


def _chunks(ids: list[int], size: int = 1000) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def team_ids_of_leads(connection: Connection, *, lead_ids: list[int]) -> dict[int, list[int]]:
    """The teams each lead is delivered to now (by its uncleared matches' streams)."""
    query = (
        select(matches.c.lead_id, stream_teams.c.team_id)
        .join(stream_teams, stream_teams.c.stream_id == matches.c.stream_id)
        .where(matches.c.lead_id.in_(lead_ids), SHOWN_MATCH)
        .distinct()
    )
    out: dict[int, list[int]] = {}
    for lead_id, team_id in connection.execute(query):
        out.setdefault(lead_id, []).append(team_id)
    return {lead_id: sorted(teams) for lead_id, teams in out.items()}
