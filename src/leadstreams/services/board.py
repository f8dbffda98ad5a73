"""What the lead board and the contact card show, gathered in one call per screen.

The leads come from `services.leads` (which enforces who sees what); this module adds what
the screens need around them: the streams box, the teams and people to filter and assign by.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Connection

from leadstreams.domain.roles import Action, Role, may
from leadstreams.domain.stages import Stage
from leadstreams.schemas.contacts import ContactWrite
from leadstreams.schemas.leads import LeadUpdate
from leadstreams.services import contacts, feed, leads
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.services.leads import LeadQuery
from leadstreams.store import streams as streams_store
from leadstreams.store import users as users_store


def board(ctx: Context, *, who: Principal, query: LeadQuery) -> dict[str, Any]:
    """The first page of every stage's column, and what the filters and streams box list.

    `feed_cursor` is read first: the page's live updates resume from it, so a change made
    while the page loads still reaches it (seen twice at worst, which the page shrugs off)."""
    who.require(Action.WORK_LEADS)
    feed_cursor = feed.start_cursor(ctx, last_event_id=None)
    columns = {
        stage: leads.list_leads(ctx, who=who, query=replace(query, stage=stage, cursor=None))
        for stage in Stage
    }
    with ctx.uow(read_only=True) as uow:
        teams = None if who.sees_all_leads else who.team_ids
        return {
            "columns": columns,
            "feed_cursor": feed_cursor,
            "streams": _streams(uow.connection, teams),
            "teams": _teams(uow.connection, teams),
            "people": _people(uow.connection, teams),
            "names": _names(uow.connection),
            "now": uow.clock.now(),
        }


def column(ctx: Context, *, who: Principal, query: LeadQuery) -> dict[str, Any]:
    """One page of leads (a column's next page, or one card), with the assignees' names."""
    who.require(Action.WORK_LEADS)
    found = leads.list_leads(ctx, who=who, query=query)
    with ctx.uow(read_only=True) as uow:
        return found | {"names": _names(uow.connection), "now": uow.clock.now()}


def work(ctx: Context, *, who: Principal, lead_id: int, data: LeadUpdate) -> dict[str, Any]:
    """Change a lead's stage, assignee or hidden flag; the lead as a one-item board page."""
    lead = leads.update_lead(ctx, who=who, lead_id=lead_id, data=data)
    with ctx.uow(read_only=True) as uow:
        return {"items": [lead], "names": _names(uow.connection), "now": uow.clock.now()}


def contact_card(
    ctx: Context, *, who: Principal, lead_id: int, timeline_limit: int
) -> dict[str, Any]:
    """A lead with its contact, streams (and why they matched), activity, notes and stages."""
    who.require(Action.WORK_LEADS)
    lead = leads.get_lead(ctx, who=who, lead_id=lead_id)  # 404 for a lead `who` may not see
    contact_id = lead["contact"]["id"]
    with ctx.uow(read_only=True) as uow:
        connection = uow.connection
        descriptions = _descriptions(connection, [m["stream_id"] for m in lead["matches"]])
        people = _people(connection, tuple(lead["team_ids"]))
        names, now = _names(connection), uow.clock.now()
    return {
        "lead": lead,
        "contact": contacts.get_contact(ctx, who=who, contact_id=contact_id),
        "timeline": contacts.timeline(
            ctx, who=who, contact_id=contact_id, limit=timeline_limit, before_id=None
        ),
        "notes": leads.list_notes(ctx, who=who, lead_id=lead_id),
        "stage_changes": leads.stage_changes(ctx, who=who, lead_id=lead_id),
        "descriptions": descriptions,
        "people": people,
        "names": names,
        "now": now,
    }


def timeline(
    ctx: Context, *, who: Principal, lead_id: int, limit: int, before_id: int | None = None
) -> dict[str, Any]:
    """A page of the lead's contact's activity, newest first."""
    who.require(Action.WORK_LEADS)
    contact_id = leads.get_lead(ctx, who=who, lead_id=lead_id)["contact"]["id"]
    return contacts.timeline(ctx, who=who, contact_id=contact_id, limit=limit, before_id=before_id)


def set_category(
    ctx: Context, *, who: Principal, lead_id: int, data: ContactWrite
) -> dict[str, Any]:
    """Change the category of the lead's contact (what sales may change of a contact)."""
    who.require(Action.WORK_LEADS)
    contact_id = leads.get_lead(ctx, who=who, lead_id=lead_id)["contact"]["id"]
    return contacts.update_contact_as(ctx, who=who, contact_id=contact_id, data=data)


def _streams(connection: Connection, teams: tuple[int, ...] | None) -> list[dict[str, Any]]:
    """The streams (not deleted) that deliver to these teams; every stream for None."""
    by_stream = streams_store.team_ids_by_stream(connection)
    names = ("id", "name", "description", "active")
    return [
        {name: getattr(stream, name) for name in names}
        for stream in sorted(streams_store.all_live(connection), key=lambda s: s.name.lower())
        if teams is None or set(by_stream.get(stream.id, ())) & set(teams)
    ]


def _teams(connection: Connection, teams: tuple[int, ...] | None) -> list[dict[str, Any]]:
    rows = users_store.all_teams(connection)
    return [{"id": r["id"], "name": r["name"]} for r in rows if teams is None or r["id"] in teams]


def _people(connection: Connection, teams: tuple[int, ...] | None) -> list[dict[str, Any]]:
    """Active users who may work leads of these teams: admins, marketing, and their members."""
    members = {m for team in teams or () for m in users_store.member_ids(connection, team)}
    return [
        {"id": row["id"], "name": row["name"], "email": row["email"]}
        for row in sorted(users_store.all_users(connection), key=lambda r: r["name"].lower())
        if row["active"]
        and may(Role(row["role"]), Action.WORK_LEADS)
        and (teams is None or row["role"] != Role.SALES or row["id"] in members)
    ]


def _names(connection: Connection) -> dict[int, str]:
    return {row["id"]: row["name"] for row in users_store.all_users(connection)}


def _descriptions(connection: Connection, stream_ids: list[int]) -> dict[int, str | None]:
    found = (streams_store.get(connection, stream_id) for stream_id in stream_ids)
    return {stream.id: stream.description for stream in found if stream is not None}
