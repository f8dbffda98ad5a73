"""Finding contacts by what the Contacts page filters on (search, category, tag, whether
they have a lead, a score range), and the lead each one has on the board."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from leadstreams.rules import FieldCondition, FieldType, Op
from leadstreams.rules.compile_sql import to_sql
from leadstreams.store import fields as fields_store
from leadstreams.store.contacts import Contact, record, search_condition
from leadstreams.store.rule_columns import sql_columns
from leadstreams.store.tables import contacts, leads


@dataclass(frozen=True)
class ContactFilter:
    q: str | None = None
    category: str | None = None
    tag: str | None = None
    has_lead: bool | None = None  # a lead on the board (open or closed, not cleared)
    score_min: int | None = None
    score_max: int | None = None


@dataclass(frozen=True, slots=True)
class LeadOnBoard:
    id: int
    stage: str


def _on_board() -> ColumnElement[bool]:
    return exists().where(leads.c.contact_id == contacts.c.id, leads.c.cleared_at.is_(None))


def search(
    connection: Connection, *, filters: ContactFilter, limit: int, after_id: int, now: datetime
) -> list[Contact]:
    """By id, after `after_id`. Tags and category mean what they mean in rules (the rule
    compiler writes those conditions, as the board's filters do)."""
    query = select(contacts).where(contacts.c.id > after_id).order_by(contacts.c.id).limit(limit)
    f = filters
    if f.q:
        query = query.where(search_condition(f.q))
    if f.category or f.tag:
        columns = sql_columns(fields_store.vocabulary(connection))
        if f.category:
            cond = FieldCondition("category", Op.EQ, f.category, FieldType.ENUM)
            query = query.where(to_sql(cond, columns, now=now))
        if f.tag:
            cond = FieldCondition("tags", Op.CONTAINS, f.tag, FieldType.TAGS)
            query = query.where(to_sql(cond, columns, now=now))
    if f.has_lead is not None:
        query = query.where(_on_board() if f.has_lead else ~_on_board())
    if f.score_min is not None:
        query = query.where(contacts.c.lead_score >= f.score_min)
    if f.score_max is not None:
        query = query.where(contacts.c.lead_score <= f.score_max)
    return [record(row) for row in connection.execute(query).mappings()]


def leads_on_board(connection: Connection, contact_ids: Collection[int]) -> dict[int, LeadOnBoard]:
    """Each contact's lead on the board (its newest, should it have an open and closed one)."""
    if not contact_ids:
        return {}
    query = (
        select(leads.c.contact_id, leads.c.id, leads.c.stage)
        .where(leads.c.contact_id.in_(sorted(set(contact_ids))), leads.c.cleared_at.is_(None))
        .order_by(leads.c.id)
    )
    return {contact_id: LeadOnBoard(i, stage) for contact_id, i, stage in connection.execute(query)}
