"""Fetch history pushed down to SQL: the rule is evaluated once per chunk of contact ids.

Contacts never travel to Python; only the ids of the chunk's eligible contacts do (at most
the chunk's matches), and the rows of the matches made (for their explanations).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, false, func, insert, literal, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from leadstreams.store.events import insert_ignoring_conflicts
from leadstreams.store.leads import CURRENT_MATCH, OPEN_LEAD
from leadstreams.store.tables import contacts, lead_stage_changes, leads, matches, outbox

Row = tuple[Any, ...]
# Ids are bound one parameter each: slices stay well under SQLite's 32,766 (and PG's 65,535).
ID_SLICE = 10_000


def slices(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), ID_SLICE):
        yield ids[start : start + ID_SLICE]


def _closed_lead() -> Any:
    return select(leads.c.id).where(leads.c.id == matches.c.lead_id, leads.c.closed_at.is_not(None))


def scan_chunk(
    connection: Connection,
    *,
    stream_id: int,
    rule: ColumnElement[bool],
    low: int,
    high: int,
    requalify_before: datetime | None,
) -> tuple[int, list[int]]:
    """How many contacts (low, high] holds, and the ids of those eligible: they match the
    rule and have no current match in the stream, or (rule 3's exception) only one that a
    requalification may supersede: a match of a closed lead made at or before
    `requalify_before`. One statement, the chunk's one evaluation of the rule; the id range
    is the whole WHERE, so that the primary key bounds the scan."""
    blocking = [matches.c.stream_id == stream_id, matches.c.contact_id == contacts.c.id]
    blocking.append(CURRENT_MATCH)
    if requalify_before is not None:
        supersedable = and_(matches.c.matched_at <= requalify_before, _closed_lead().exists())
        blocking.append(~supersedable)
    eligible = and_(rule, ~exists().where(*blocking))
    if connection.dialect.name == "postgresql":
        ids = func.array_agg(contacts.c.id).filter(eligible)  # NULL when none
    else:
        ids = func.json_group_array(contacts.c.id).filter(eligible)  # '[]' when none
    query = select(func.count(), ids).where(contacts.c.id > low, contacts.c.id <= high)
    count, found = connection.execute(query).one()
    if isinstance(found, str):
        found = json.loads(found)
    return count, sorted(found or ())


def supersede_requalifying(
    connection: Connection,
    *,
    stream_id: int,
    contact_ids: Sequence[int],
    requalify_before: datetime,
    now: datetime,
) -> None:
    """Rule 3's exception: a closed lead's match older than the period gives way to a new one."""
    for ids in slices(contact_ids):
        connection.execute(
            update(matches)
            .where(
                matches.c.contact_id.in_(ids),
                matches.c.stream_id == stream_id,
                CURRENT_MATCH,
                matches.c.matched_at <= requalify_before,
                _closed_lead().exists(),
            )
            .values(superseded_at=now)
        )


def create_leads(connection: Connection, *, contact_ids: Sequence[int], now: datetime) -> list[Row]:
    """New mql leads for these contacts where they have no open lead: (lead id, contact id)."""
    has_open = exists().where(leads.c.contact_id == contacts.c.id, OPEN_LEAD)
    made: list[Row] = []
    for ids in slices(contact_ids):
        source = select(
            contacts.c.id,
            literal("mql"),
            false(),
            literal(now, leads.c.created_at.type),
            literal(now, leads.c.updated_at.type),
        ).where(contacts.c.id.in_(ids), ~has_open)
        query = (
            insert_ignoring_conflicts(connection, leads)
            .from_select(["contact_id", "stage", "hidden", "created_at", "updated_at"], source)
            .returning(leads.c.id, leads.c.contact_id)
        )
        made.extend(tuple(row) for row in connection.execute(query))
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
    contact_ids: Sequence[int],
    trigger: dict[str, Any],
    now: datetime,
) -> list[Row]:
    """A history match for each of these contacts, on its open lead: (match, contact, lead).

    The ids were chosen before `create_leads` ran, and the rule is not looked at again:
    making the leads changed their contacts' `lead_stage`, which the rule may read."""
    columns = ["lead_id", "stream_id", "contact_id", "matched_at", "origin", "trigger"]
    made: list[Row] = []
    for ids in slices(contact_ids):
        source = select(
            leads.c.id,
            literal(stream_id),
            leads.c.contact_id,
            literal(now, matches.c.matched_at.type),
            literal("history"),
            literal(trigger, matches.c.trigger.type),
        ).where(leads.c.contact_id.in_(ids), OPEN_LEAD)
        query = (
            insert_ignoring_conflicts(connection, matches)
            .from_select(columns, source)
            .returning(matches.c.id, matches.c.contact_id, matches.c.lead_id)
        )
        made.extend(tuple(row) for row in connection.execute(query))
    return made


def set_explanations(connection: Connection, *, explanations: dict[int, Any]) -> None:
    if not explanations:
        return
    query = (
        update(matches)
        .where(matches.c.id == bindparam("match_id"))
        .values(explanation=bindparam("value", type_=matches.c.explanation.type))
    )
    rows = [{"match_id": key, "value": value} for key, value in explanations.items()]
    connection.execute(query, rows)


def add_outbox_rows(connection: Connection, *, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(outbox), rows)
