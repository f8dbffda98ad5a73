"""The lead board: which leads a user sees, as pages newest first, and a user's work on one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from leadstreams.store.tables import contacts, leads, matches, stream_teams, streams


@dataclass(frozen=True)
class LeadFilter:
    visible_to_teams: tuple[int, ...] | None = None  # None: sees every lead
    lead_id: int | None = None  # one lead, if it passes the other filters (live board updates)
    stream_id: int | None = None
    team_id: int | None = None
    stage: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    hidden: bool | None = False  # None: hidden or not
    contact_conditions: tuple[ColumnElement[bool], ...] = ()  # category, tag, search
    created_from: datetime | None = None
    created_to: datetime | None = None


def _delivered_to(team_ids: tuple[int, ...]) -> ColumnElement[bool]:
    return (
        select(matches.c.id)
        .join(stream_teams, stream_teams.c.stream_id == matches.c.stream_id)
        .where(
            matches.c.lead_id == leads.c.id,
            matches.c.cleared_at.is_(None),
            stream_teams.c.team_id.in_(team_ids),
        )
        .exists()
    )


def _conditions(f: LeadFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [leads.c.cleared_at.is_(None)]
    if f.visible_to_teams is not None:
        where.append(_delivered_to(f.visible_to_teams))
    if f.lead_id is not None:
        where.append(leads.c.id == f.lead_id)
    if f.team_id is not None:
        where.append(_delivered_to((f.team_id,)))
    if f.stream_id is not None:
        in_stream = select(matches.c.id).where(
            matches.c.lead_id == leads.c.id,
            matches.c.stream_id == f.stream_id,
            matches.c.cleared_at.is_(None),
        )
        where.append(in_stream.exists())
    if f.stage is not None:
        where.append(leads.c.stage == f.stage)
    if f.unassigned:
        where.append(leads.c.assignee_id.is_(None))
    elif f.assignee_id is not None:
        where.append(leads.c.assignee_id == f.assignee_id)
    if f.hidden is not None:
        where.append(leads.c.hidden.is_(f.hidden))
    where.extend(f.contact_conditions)
    if f.created_from is not None:
        where.append(leads.c.created_at >= f.created_from)
    if f.created_to is not None:
        where.append(leads.c.created_at <= f.created_to)
    return where


def page(
    connection: Connection,
    *,
    filters: LeadFilter,
    limit: int,
    after: tuple[datetime, int] | None,
) -> list[RowMapping]:
    """Newest first; `after` is the (created_at, id) of the last lead of the previous page."""
    query = (
        select(leads)
        .join(contacts, contacts.c.id == leads.c.contact_id)
        .where(*_conditions(filters))
    )
    if after is not None:
        created, lead_id = after
        query = query.where(
            or_(
                leads.c.created_at < created,
                and_(leads.c.created_at == created, leads.c.id < lead_id),
            )
        )
    query = query.order_by(leads.c.created_at.desc(), leads.c.id.desc()).limit(limit)
    return list(connection.execute(query).mappings())


def get(connection: Connection, lead_id: int) -> RowMapping | None:
    return connection.execute(select(leads).where(leads.c.id == lead_id)).mappings().first()


def visible(connection: Connection, *, lead_id: int, team_ids: tuple[int, ...] | None) -> bool:
    query = select(leads.c.id).where(leads.c.id == lead_id)
    if team_ids is not None:
        query = query.where(_delivered_to(team_ids))
    return connection.scalar(query) is not None


def matches_of(
    connection: Connection, lead_ids: list[int], *, cleared: bool = False
) -> list[RowMapping]:
    query = (
        select(matches, streams.c.name.label("stream_name"))
        .join(streams, streams.c.id == matches.c.stream_id)
        .where(matches.c.lead_id.in_(lead_ids))
        .where(matches.c.cleared_at.is_not(None) if cleared else matches.c.cleared_at.is_(None))
        .order_by(matches.c.id)
    )
    return list(connection.execute(query).mappings())


def team_ids_of_leads(connection: Connection, lead_ids: list[int]) -> dict[int, list[int]]:
    query = (
        select(matches.c.lead_id, stream_teams.c.team_id)
        .join(stream_teams, stream_teams.c.stream_id == matches.c.stream_id)
        .where(matches.c.lead_id.in_(lead_ids), matches.c.cleared_at.is_(None))
        .distinct()
    )
    out: dict[int, list[int]] = {}
    for lead_id, team_id in connection.execute(query):
        out.setdefault(lead_id, []).append(team_id)
    return {lead_id: sorted(teams) for lead_id, teams in out.items()}


def contacts_by_id(connection: Connection, contact_ids: list[int]) -> dict[int, RowMapping]:
    query = select(contacts).where(contacts.c.id.in_(contact_ids))
    return {row["id"]: row for row in connection.execute(query).mappings()}


def contact_visible(connection: Connection, *, contact_id: int, team_ids: tuple[int, ...]) -> bool:
    """Whether the contact has a lead on the board of one of these teams."""
    query = select(leads.c.id).where(
        leads.c.contact_id == contact_id, leads.c.cleared_at.is_(None), _delivered_to(team_ids)
    )
    return connection.scalar(query.limit(1)) is not None


def update_lead(connection: Connection, *, lead_id: int, values: dict[str, Any]) -> None:
    connection.execute(update(leads).where(leads.c.id == lead_id).values(**values))
