"""The lead board: which leads a user sees, as pages newest first, and a user's work on one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Select

from leadstreams.rules import FieldCondition, FieldType, Op
from leadstreams.rules.compile_sql import to_sql
from leadstreams.store import contacts as contacts_store
from leadstreams.store import fields as fields_store
from leadstreams.store.contacts import Contact
from leadstreams.store.leads import SHOWN_MATCH
from leadstreams.store.leads import team_ids_of_leads as team_ids_of_leads  # re-exported
from leadstreams.store.rule_columns import sql_columns
from leadstreams.store.sql import Among
from leadstreams.store.tables import contacts, leads, matches, stream_teams, streams


@dataclass(frozen=True, slots=True)
class Lead:
    id: int
    contact_id: int
    stage: str
    assignee_id: int | None
    hidden: bool
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    cleared_at: datetime | None
    lost_reason: str | None


_LEAD = tuple(leads.c[name] for name in Lead.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Match:
    """An uncleared match of a lead, as its card explains it."""

    lead_id: int
    stream_id: int
    stream_name: str
    matched_at: datetime
    origin: str
    trigger: dict[str, Any]
    explanation: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class LeadFilter:
    visible_to_teams: tuple[int, ...] | None = None  # None: sees every lead
    lead_id: int | None = None  # one lead, if it passes the other filters (live board updates)
    lead_ids: tuple[int, ...] | None = None  # these leads, if they pass (a board's live batch)
    stream_id: int | None = None
    team_id: int | None = None
    stage: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    hidden: bool | None = False  # None: hidden or not
    category: str | None = None
    tag: str | None = None
    search: str | None = None  # in e-mail, names and company
    created_from: datetime | None = None
    created_to: datetime | None = None


def _delivered_to(team_ids: tuple[int, ...]) -> ColumnElement[bool]:
    return (
        select(matches.c.id)
        .join(stream_teams, stream_teams.c.stream_id == matches.c.stream_id)
        .where(
            matches.c.lead_id == leads.c.id,
            SHOWN_MATCH,
            stream_teams.c.team_id.in_(team_ids),
        )
        .exists()
    )


def _conditions(f: LeadFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [leads.c.cleared_at.is_(None)]
    # A lead delivered to one of the user's teams is visible: one correlated test, not two.
    team_implies_visible = f.team_id is not None and (
        f.visible_to_teams is None or f.team_id in f.visible_to_teams
    )
    if f.visible_to_teams is not None and not team_implies_visible:
        where.append(_delivered_to(f.visible_to_teams))
    if f.lead_id is not None:
        where.append(leads.c.id == f.lead_id)
    if f.lead_ids is not None:
        where.append(leads.c.id.in_(f.lead_ids))
    if f.team_id is not None:
        where.append(_delivered_to((f.team_id,)))
    if f.stream_id is not None:
        in_stream = select(matches.c.id).where(
            matches.c.lead_id == leads.c.id,
            matches.c.stream_id == f.stream_id,
            SHOWN_MATCH,
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
    if f.search:
        where.append(contacts_store.search_condition(f.search))
    if f.created_from is not None:
        where.append(leads.c.created_at >= f.created_from)
    if f.created_to is not None:
        where.append(leads.c.created_at <= f.created_to)
    return where


def _category_and_tag(
    connection: Connection, f: LeadFilter, now: datetime
) -> list[ColumnElement[bool]]:
    """Category and tag filters reuse the rule compiler: one meaning of 'tag is x'."""
    if not (f.category or f.tag):
        return []
    columns = sql_columns(fields_store.vocabulary(connection))
    conditions = []
    if f.category:
        cond = FieldCondition("category", Op.EQ, f.category, FieldType.ENUM)
        conditions.append(to_sql(cond, columns, now=now))
    if f.tag:
        cond = FieldCondition("tags", Op.CONTAINS, f.tag, FieldType.TAGS)
        conditions.append(to_sql(cond, columns, now=now))
    return conditions


def _with_contacts(query: Select[Any], f: LeadFilter) -> Select[Any]:
    """Joined with the contacts only for the filters that read them: a lead always has its
    contact (a foreign key), and the join costs a lookup per lead the board counts."""
    if f.search or f.category or f.tag:
        return query.join(contacts, contacts.c.id == leads.c.contact_id)
    return query


def page(
    connection: Connection,
    *,
    filters: LeadFilter,
    limit: int,
    after: tuple[datetime, int] | None,
    now: datetime,
) -> list[Lead]:
    """Newest first; `after` is the (created_at, id) of the last lead of the previous page."""
    query = _with_contacts(select(*_LEAD), filters).where(
        *_conditions(filters), *_category_and_tag(connection, filters, now)
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
    return [Lead(*row) for row in connection.execute(query)]


def count_by_stage(connection: Connection, *, filters: LeadFilter, now: datetime) -> dict[str, int]:
    """How many leads pass the filters, by stage (a column's total)."""
    query = (
        _with_contacts(select(leads.c.stage, func.count()), filters)
        .where(*_conditions(filters), *_category_and_tag(connection, filters, now))
        .group_by(leads.c.stage)
    )
    return {stage: n for stage, n in connection.execute(query).tuples()}


def get(connection: Connection, *, lead_id: int) -> Lead | None:
    row = connection.execute(select(*_LEAD).where(leads.c.id == lead_id)).first()
    return None if row is None else Lead(*row)


def get_many(connection: Connection, *, lead_ids: list[int]) -> dict[int, Lead]:
    """The leads of these ids that exist, by id: one statement for a batch."""
    if not lead_ids:
        return {}
    rows = connection.execute(select(*_LEAD).where(leads.c.id.in_(lead_ids)))
    return {lead.id: lead for lead in (Lead(*row) for row in rows)}


def visible(connection: Connection, *, lead_id: int, team_ids: tuple[int, ...] | None) -> bool:
    query = select(leads.c.id).where(leads.c.id == lead_id)
    if team_ids is not None:
        query = query.where(_delivered_to(team_ids))
    return connection.scalar(query) is not None


_MATCH = (
    matches.c.lead_id, matches.c.stream_id, streams.c.name, matches.c.matched_at,
    matches.c.origin, matches.c.trigger, matches.c.explanation,
)  # fmt: skip


def matches_of(connection: Connection, *, lead_ids: list[int]) -> list[Match]:
    """The uncleared matches of these leads, oldest first."""
    return matches_and_teams(connection, lead_ids=lead_ids)[0]


_MATCH_AND_TEAM = (
    select(matches.c.id, *_MATCH, stream_teams.c.team_id)
    .join(streams, streams.c.id == matches.c.stream_id)
    .outerjoin(stream_teams, stream_teams.c.stream_id == matches.c.stream_id)
    .where(Among(matches.c.lead_id, "ids"), SHOWN_MATCH)
    .order_by(matches.c.id)
)


def matches_and_teams(
    connection: Connection, *, lead_ids: list[int]
) -> tuple[list[Match], dict[int, list[int]]]:
    """`matches_of` and `team_ids_of_leads` in one statement (a page of cards, one round trip
    fewer): a row per match and team of its stream, the match kept from its first row."""
    found: list[Match] = []
    teams: dict[int, set[int]] = {}
    last_id = None
    for match_id, *columns, team_id in connection.execute(_MATCH_AND_TEAM, {"ids": lead_ids}):
        if match_id != last_id:
            found.append(Match(*columns))
            last_id = match_id
        if team_id is not None:
            teams.setdefault(found[-1].lead_id, set()).add(team_id)
    return found, {lead_id: sorted(ids) for lead_id, ids in teams.items()}


@dataclass(frozen=True, slots=True)
class CardContact:
    """What a lead's card shows of its contact (`schemas.leads.LeadContact`)."""

    id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    category: str
    lead_score: int


_CARD_CONTACTS = select(*(contacts.c[name] for name in CardContact.__dataclass_fields__)).where(
    Among(contacts.c.id, "ids")
)


def card_contacts(connection: Connection, *, contact_ids: list[int]) -> dict[int, CardContact]:
    """The contacts' columns a card shows, by id: not their custom fields and tags, whose JSON
    a page of cards would decode for nothing."""
    rows = connection.execute(_CARD_CONTACTS, {"ids": contact_ids})
    return {row.id: CardContact(*row) for row in rows}


def contacts_by_id(connection: Connection, *, contact_ids: list[int]) -> dict[int, Contact]:
    query = select(contacts).where(contacts.c.id.in_(contact_ids))
    found = (contacts_store.record(row) for row in connection.execute(query).mappings())
    return {contact.id: contact for contact in found}


def contact_visible(connection: Connection, *, contact_id: int, team_ids: tuple[int, ...]) -> bool:
    """Whether the contact has a lead on the board of one of these teams."""
    query = select(leads.c.id).where(
        leads.c.contact_id == contact_id, leads.c.cleared_at.is_(None), _delivered_to(team_ids)
    )
    return connection.scalar(query.limit(1)) is not None


def update_lead(connection: Connection, *, lead_id: int, values: dict[str, Any]) -> None:
    connection.execute(update(leads).where(leads.c.id == lead_id).values(**values))
