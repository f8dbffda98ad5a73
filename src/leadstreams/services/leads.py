"""The lead board: list with filters, work a lead (stage, assignee, hidden, notes)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.engine import Connection

from leadstreams.domain.roles import Role
from leadstreams.domain.stages import Stage, check_reopen, move
from leadstreams.errors import InvalidInput, NotFound
from leadstreams.rules import FieldCondition, FieldType, Op
from leadstreams.rules.compile_sql import to_sql
from leadstreams.schemas.common import MAX_ID
from leadstreams.schemas.leads import LeadUpdate
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.services.matching import evaluate_contact
from leadstreams.store import archive as archive_store
from leadstreams.store import board as board_store
from leadstreams.store import contacts as contacts_store
from leadstreams.store import fields as fields_store
from leadstreams.store import leads as leads_store
from leadstreams.store import notes as notes_store
from leadstreams.store import stage_changes as stage_changes_store
from leadstreams.store import users as users_store
from leadstreams.store.board import LeadFilter
from leadstreams.store.rule_columns import sql_columns
from leadstreams.store.uow import UnitOfWork


@dataclass(frozen=True)
class LeadQuery:
    """The board's filters as the API takes them (api.md, GET /leads)."""

    stream_id: int | None = None
    team_id: int | None = None
    lead_id: int | None = None  # one lead, if it passes the other filters
    stage: Stage | None = None
    assignee: str | None = None  # "me", "none" or a user id
    hidden: bool | None = False  # False: not hidden (the default); True: hidden; None: both
    category: str | None = None
    tag: str | None = None
    q: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    limit: int = 50
    cursor: str | None = None


def list_leads(ctx: Context, *, who: Principal, query: LeadQuery) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        filters = _filters(uow, who, query)
        rows = board_store.page(
            uow.connection, filters=filters, limit=query.limit + 1, after=_decode(query.cursor)
        )
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        items = _read_many(uow.connection, rows)
    cursor = _encode(rows[-1]) if more and rows else None
    return {"items": items, "next_cursor": cursor}


def _filters(uow: UnitOfWork, who: Principal, query: LeadQuery) -> LeadFilter:
    filters = LeadFilter(
        visible_to_teams=None if who.sees_all_leads else who.team_ids,
        lead_id=query.lead_id,
        stream_id=query.stream_id,
        team_id=query.team_id,
        stage=str(query.stage) if query.stage else None,
        hidden=query.hidden,
        contact_conditions=_contact_conditions(uow, query),
        created_from=query.created_from,
        created_to=query.created_to,
    )
    if query.assignee == "me":
        return replace(filters, assignee_id=who.id)
    if query.assignee == "none":
        return replace(filters, unassigned=True)
    if query.assignee is not None:
        if not query.assignee.isdigit():
            raise InvalidInput.at("assignee", "use 'me', 'none' or a user id")
        return replace(filters, assignee_id=int(query.assignee))
    return filters


def _contact_conditions(uow: UnitOfWork, query: LeadQuery) -> tuple[Any, ...]:
    """Category and tag filters reuse the rule compiler: one meaning of 'tag is x'."""
    conditions = []
    if query.category or query.tag:
        vocabulary = fields_store.vocabulary(uow.connection)
        columns = sql_columns(vocabulary)
        now = uow.clock.now()
        if query.category:
            cond = FieldCondition("category", Op.EQ, query.category, FieldType.ENUM)
            conditions.append(to_sql(cond, columns, now=now))
        if query.tag:
            cond = FieldCondition("tags", Op.CONTAINS, query.tag, FieldType.TAGS)
            conditions.append(to_sql(cond, columns, now=now))
    if query.q:
        conditions.append(contacts_store.search_condition(query.q))
    return tuple(conditions)


def _encode(row: RowMapping) -> str:
    raw = f"{row['created_at'].isoformat()}|{row['id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        created, lead_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        if not 0 < int(lead_id) <= MAX_ID:
            raise ValueError(lead_id)
        return datetime.fromisoformat(created), int(lead_id)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput.at("cursor", "not a cursor this API gave out") from error


def _read_many(connection: Connection, rows: list[RowMapping]) -> list[dict[str, Any]]:
    lead_ids = [row["id"] for row in rows]
    people = board_store.contacts_by_id(connection, [row["contact_id"] for row in rows])
    teams = board_store.team_ids_of_leads(connection, lead_ids)
    by_lead: dict[int, list[dict[str, Any]]] = {}
    for match in board_store.matches_of(connection, lead_ids):
        by_lead.setdefault(match["lead_id"], []).append(_match_read(match))
    return [
        _lead_read(
            row, people[row["contact_id"]], teams.get(row["id"], []), by_lead.get(row["id"], [])
        )
        for row in rows
    ]


def _match_read(match: RowMapping) -> dict[str, Any]:
    names = ("stream_id", "stream_name", "matched_at", "origin", "trigger", "explanation")
    return {name: match[name] for name in names}


def _lead_read(
    row: RowMapping, person: RowMapping, team_ids: list[int], found: list[dict[str, Any]]
) -> dict[str, Any]:
    contact_fields = ("id", "email", "first_name", "last_name", "company", "category", "lead_score")
    return {
        "id": row["id"],
        "contact": {name: person[name] for name in contact_fields},
        "stage": row["stage"],
        "assignee_id": row["assignee_id"],
        "hidden": row["hidden"],
        "created_at": row["created_at"],
        "closed_at": row["closed_at"],
        "team_ids": team_ids,
        "matches": found,
    }


def _visible_lead(uow: UnitOfWork, who: Principal, lead_id: int) -> RowMapping:
    """The lead, if `who` may see it; a lead they may not see does not exist for them."""
    teams = None if who.sees_all_leads else who.team_ids
    row = board_store.get(uow.connection, lead_id)
    if row is None or not board_store.visible(uow.connection, lead_id=lead_id, team_ids=teams):
        raise NotFound(f"no lead with id {lead_id}")
    return row


def get_lead(ctx: Context, *, who: Principal, lead_id: int) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return _read_many(uow.connection, [_visible_lead(uow, who, lead_id)])[0]


def update_lead(ctx: Context, *, who: Principal, lead_id: int, data: LeadUpdate) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = _visible_lead(uow, who, lead_id)
        given = data.model_dump(exclude_unset=True)
        now = uow.clock.now()
        values: dict[str, Any] = {}
        if given.get("stage") is not None and given["stage"] != row["stage"]:
            values |= _move(uow, row, Stage(given["stage"]), who, now)
        if "assignee_id" in given and given["assignee_id"] != row["assignee_id"]:
            _check_assignee(uow, given["assignee_id"])
            values["assignee_id"] = given["assignee_id"]
            _outbox(uow, "lead.assigned", row, {"assignee_id": given["assignee_id"]}, now)
        if given.get("hidden") is not None:
            values["hidden"] = given["hidden"]
        if values:
            board_store.update_lead(
                uow.connection, lead_id=lead_id, values=values | {"updated_at": now}
            )
        if "stage" in values:  # a stage change by a user is a change of `lead_stage` (rule 2)
            index = ctx.live.current(uow.connection)
            evaluate_contact(
                uow,
                index=index,
                contact_id=row["contact_id"],
                candidates=index.for_fields({"lead_stage"}),
                trigger={"kind": "contact_update", "fields": ["lead_stage"]},
            )
        lead = _read_many(uow.connection, [_visible_lead(uow, who, lead_id)])[0]
        uow.commit()
    return lead


def _move(
    uow: UnitOfWork, row: RowMapping, stage: Stage, who: Principal, now: datetime
) -> dict[str, Any]:
    """The move as rule 5 has it (`domain.stages.move`), recorded with who and when."""
    moved = move(to=stage, closed_at=row["closed_at"], now=now)
    if moved.reopens:
        other = leads_store.open_lead_id(uow.connection, contact_id=row["contact_id"])
        check_reopen(other_open_lead=other)
    stage_changes_store.record(
        uow.connection, lead_id=row["id"], old=row["stage"], new=str(stage), user_id=who.id, at=now
    )
    _outbox(uow, "lead.stage_changed", row, {"from": row["stage"], "to": str(stage)}, now)
    return {"stage": str(moved.stage), "closed_at": moved.closed_at}


def _check_assignee(uow: UnitOfWork, user_id: int | None) -> None:
    if user_id is None:
        return
    user = users_store.get(uow.connection, user_id)
    if user is None or not user["active"]:
        raise InvalidInput.at("assignee_id", f"no active user with id {user_id}")
    if user["role"] not in (Role.SALES, Role.ADMIN, Role.MARKETING):
        raise InvalidInput.at("assignee_id", "this user cannot work leads")


def _outbox(
    uow: UnitOfWork, topic: str, row: RowMapping, extra: dict[str, Any], now: datetime
) -> None:
    payload = {"lead_id": row["id"], "contact_id": row["contact_id"], **extra}
    leads_store.add_outbox(uow.connection, topic=topic, lead_id=row["id"], payload=payload, at=now)


def add_note(ctx: Context, *, who: Principal, lead_id: int, text: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        _visible_lead(uow, who, lead_id)
        now = uow.clock.now()
        note_id = notes_store.add(
            uow.connection, lead_id=lead_id, user_id=who.id, text=text, at=now
        )
        uow.commit()
    return {"id": note_id, "lead_id": lead_id, "user_id": who.id, "text": text, "created_at": now}


def list_notes(ctx: Context, *, who: Principal, lead_id: int) -> list[dict[str, Any]]:
    with ctx.uow(read_only=True) as uow:
        _visible_lead(uow, who, lead_id)
        return [dict(row) for row in notes_store.of_lead(uow.connection, lead_id=lead_id)]


def stage_changes(ctx: Context, *, who: Principal, lead_id: int) -> list[dict[str, Any]]:
    with ctx.uow(read_only=True) as uow:
        _visible_lead(uow, who, lead_id)
        return [dict(row) for row in stage_changes_store.of_lead(uow.connection, lead_id=lead_id)]


def archive(ctx: Context, *, stream_id: int | None, limit: int = 200) -> list[dict[str, Any]]:
    with ctx.uow(read_only=True) as uow:
        rows = archive_store.cleared_matches(uow.connection, stream_id=stream_id, limit=limit)
    names = (
        "id",
        "lead_id",
        "stream_id",
        "stream_name",
        "contact_id",
        "matched_at",
        "origin",
        "trigger",
        "explanation",
        "cleared_at",
        "stage",
        "lead_cleared_at",
    )
    return [{name: row[name] for name in names} for row in rows]
