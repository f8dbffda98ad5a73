"""Fetch history pushed down to SQL: INSERT ... SELECT over a chunk of contact ids.

Contacts never travel to Python; only the matches made do (for their explanations).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, false, insert, literal, or_, select, true, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from leadstreams.store.events import insert_ignoring_conflicts
from leadstreams.store.leads import CURRENT_MATCH, OPEN_LEAD
from leadstreams.store.tables import contacts, lead_stage_changes, leads, matches, outbox

Row = tuple[Any, ...]


def _current_match(stream_id: int) -> ColumnElement[bool]:
    return exists().where(
        matches.c.stream_id == stream_id, matches.c.contact_id == contacts.c.id, CURRENT_MATCH
    )


def candidates(
    *, stream_id: int, rule: ColumnElement[bool], low: int, high: int
) -> ColumnElement[bool]:
    """Contacts in (low, high] that match the rule and have no current match in the stream."""
    return and_(contacts.c.id > low, contacts.c.id <= high, rule, ~_current_match(stream_id))


def supersede_requalifying(
    connection: Connection,
    *,
    stream_id: int,
    rule: ColumnElement[bool],
    low: int,
    high: int,
    requalify_after_days: int,
    now: datetime,
) -> None:
    """Rule 3's exception: a closed lead's match older than the period gives way to a new one."""
    closed_lead = select(leads.c.id).where(
        leads.c.id == matches.c.lead_id, leads.c.closed_at.is_not(None)
    )
    matching = select(contacts.c.id).where(contacts.c.id > low, contacts.c.id <= high, rule)
    connection.execute(
        update(matches)
        .where(
            matches.c.stream_id == stream_id,
            CURRENT_MATCH,
            matches.c.matched_at <= now - timedelta(days=requalify_after_days),
            closed_lead.exists(),
            matches.c.contact_id.in_(matching),
        )
        .values(superseded_at=now)
    )


def create_leads(
    connection: Connection, *, eligible: ColumnElement[bool], now: datetime
) -> list[Row]:
    """New mql leads for eligible contacts without an open lead: (lead id, contact id) rows."""
    has_open = exists().where(leads.c.contact_id == contacts.c.id, OPEN_LEAD)
    source = select(
        contacts.c.id,
        literal("mql"),
        false(),
        literal(now, leads.c.created_at.type),
        literal(now, leads.c.updated_at.type),
    ).where(eligible, ~has_open, true())
    query = (
        insert_ignoring_conflicts(connection, leads)
        .from_select(["contact_id", "stage", "hidden", "created_at", "updated_at"], source)
        .returning(leads.c.id, leads.c.contact_id)
    )
    made = [tuple(row) for row in connection.execute(query)]
    if made:
        connection.execute(
            insert(lead_stage_changes),
            [
                {"lead_id": lead_id, "from_stage": None, "to_stage": "mql", "at": now}
                for lead_id, _ in made
            ],
        )
    return made


def add_matches(
    connection: Connection,
    *,
    stream_id: int,
    eligible: ColumnElement[bool],
    new_lead_ids: list[int],
    trigger: dict[str, Any],
    now: datetime,
) -> list[Row]:
    """A history match for each eligible contact, on its open lead: (match, contact, lead) rows.

    The leads `create_leads` just made are matched without a second look at the rule: making
    them changed their contacts' `lead_stage`, which the rule may read."""
    source = (
        select(
            leads.c.id,
            literal(stream_id),
            contacts.c.id,
            literal(now, matches.c.matched_at.type),
            literal("history"),
            literal(trigger, matches.c.trigger.type),
        )
        .select_from(contacts.join(leads, and_(leads.c.contact_id == contacts.c.id, OPEN_LEAD)))
        .where(or_(eligible, leads.c.id.in_(new_lead_ids)))
    )
    columns = ["lead_id", "stream_id", "contact_id", "matched_at", "origin", "trigger"]
    query = (
        insert_ignoring_conflicts(connection, matches)
        .from_select(columns, source)
        .returning(matches.c.id, matches.c.contact_id, matches.c.lead_id)
    )
    return [tuple(row) for row in connection.execute(query)]


def set_explanations(connection: Connection, *, explanations: dict[int, Any]) -> None:
    for match_id, explanation in explanations.items():
        connection.execute(
            update(matches).where(matches.c.id == match_id).values(explanation=explanation)
        )


def add_outbox_rows(connection: Connection, *, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(outbox), rows)
