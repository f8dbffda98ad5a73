"""The lead board: list with filters, work a lead (stage, assignee, hidden, notes)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from leadstreams.domain.roles import Role
from leadstreams.domain.stages import Stage, check_reopen, move
from leadstreams.domain.topics import BoardChange, Topic
from leadstreams.errors import InvalidInput, NotFound
from leadstreams.schemas.common import MAX_ID, id_from_text
from leadstreams.schemas.delivery import LeadAssignmentRead
from leadstreams.schemas.leads import (
    AssignmentNote,
    ClearedMatchRead,
    LeadContact,
    LeadPage,
    LeadRead,
    LeadUpdate,
    MatchRead,
    NoteRead,
    StageChangeRead,
)
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.services.matching import evaluate_contact
from leadstreams.store import archive as archive_store
from leadstreams.store import assignments as assignments_store
from leadstreams.store import board as board_store
from leadstreams.store import board_options
from leadstreams.store import leads as leads_store
from leadstreams.store import notes as notes_store
from leadstreams.store import stage_changes as stage_changes_store
from leadstreams.store import streams as streams_store
from leadstreams.store.assignments import Assignment
from leadstreams.store.board import CardContact, Lead, LeadFilter, Match
from leadstreams.store.uow import UnitOfWork


@dataclass(frozen=True)
class LeadQuery:
    """The board's filters as the API takes them (api.md, GET /leads)."""

    stream_id: int | None = None
    team_id: int | None = None
    lead_id: int | None = None  # one lead, if it passes the other filters
    lead_ids: tuple[int, ...] | None = None  # these leads, if they pass the other filters
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


def list_leads(ctx: Context, *, who: Principal, query: LeadQuery) -> LeadPage:
    with ctx.uow(read_only=True) as uow:
        return read_page(uow, who=who, query=query)


def read_page(uow: UnitOfWork, *, who: Principal, query: LeadQuery) -> LeadPage:
    """A page of the board in this unit of work (for screens that read several at once)."""
    found = board_store.page(
        uow.connection,
        filters=_filters(who, query),
        limit=query.limit + 1,
        after=_decode(query.cursor),
        now=uow.clock.now(),
    )
    shown = found[: query.limit]
    cursor = _encode(shown[-1]) if len(found) > query.limit and shown else None
    return LeadPage(items=_read_many(uow, shown), next_cursor=cursor)


def count_by_stage(uow: UnitOfWork, *, who: Principal, query: LeadQuery) -> dict[str, int]:
    """How many leads `who` sees pass the query's filters, by stage (its stage is ignored)."""
    filters = replace(_filters(who, query), stage=None, lead_id=None, lead_ids=None)
    return board_store.count_by_stage(uow.connection, filters=filters, now=uow.clock.now())


def _filters(who: Principal, query: LeadQuery) -> LeadFilter:
    filters = LeadFilter(
        visible_to_teams=None if who.sees_all_leads else who.team_ids,
        lead_id=query.lead_id,
        lead_ids=query.lead_ids,
        stream_id=query.stream_id,
        team_id=query.team_id,
        stage=str(query.stage) if query.stage else None,
        hidden=query.hidden,
        category=query.category,
        tag=query.tag,
        search=query.q,
        created_from=query.created_from,
        created_to=query.created_to,
    )
    if query.assignee == "me":
        return replace(filters, assignee_id=who.id)
    if query.assignee == "none":
        return replace(filters, unassigned=True)
    if query.assignee is not None:
        assignee_id = id_from_text(query.assignee)
        if assignee_id is None:
            raise InvalidInput.at("assignee", "use 'me', 'none' or a user id")
        return replace(filters, assignee_id=assignee_id)
    return filters


def _encode(lead: Lead) -> str:
    return cursor_after(lead.created_at, lead.id)


def cursor_after(created_at: datetime, lead_id: int) -> str:
    """The page cursor that continues after this lead (a board trims a column to its limit
    and continues from its last card)."""
    raw = f"{created_at.isoformat()}|{lead_id}"
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


def _read_many(uow: UnitOfWork, found: list[Lead]) -> list[LeadRead]:
    """The leads as the API shows them: three statements for any number of leads (contacts,
    matches with their streams' teams, last assignments)."""
    if not found:
        return []
    connection, lead_ids = uow.connection, [lead.id for lead in found]
    people = board_store.card_contacts(connection, contact_ids=[lead.contact_id for lead in found])
    matched, teams = board_store.matches_and_teams(connection, lead_ids=lead_ids)
    by_lead: dict[int, list[MatchRead]] = {}
    for match in matched:
        by_lead.setdefault(match.lead_id, []).append(_match_read(match))
    assigned = assignments_store.latest_of(connection, lead_ids=lead_ids)
    return [
        _lead_read(
            lead, people[lead.contact_id], teams.get(lead.id, []), by_lead.get(lead.id, []),
            _note(assigned.get(lead.id)),
        )
        for lead in found
    ]  # fmt: skip


def _note(assignment: Assignment | None) -> AssignmentNote | None:
    if assignment is None:
        return None
    return AssignmentNote.model_validate(assignment, from_attributes=True)


def _match_read(match: Match) -> MatchRead:
    return MatchRead.model_validate(match, from_attributes=True)


def _lead_read(
    lead: Lead,
    person: CardContact,
    team_ids: list[int],
    found: list[MatchRead],
    assignment: AssignmentNote | None,
) -> LeadRead:
    return LeadRead(
        id=lead.id,
        contact=LeadContact.model_validate(person, from_attributes=True),
        stage=Stage(lead.stage),
        assignee_id=lead.assignee_id,
        hidden=lead.hidden,
        created_at=lead.created_at,
        closed_at=lead.closed_at,
        team_ids=team_ids,
        matches=found,
        assignment=assignment,
        lost_reason=lead.lost_reason,
    )


class LeadLeft(NotFound):
    """A lead that was on `who`'s board and left it; `reasons` say how, newest first."""

    def __init__(self, lead_id: int, reasons: list[str]) -> None:
        super().__init__(f"lead {lead_id} left the board: " + "; ".join(reasons))
        self.lead_id = lead_id
        self.reasons = reasons


def _visible_lead(uow: UnitOfWork, who: Principal, lead_id: int) -> Lead:
    """The lead, if `who` may see it; a lead they may not see does not exist for them,
    unless it was on their board: then they are told how it left (LeadLeft)."""
    teams = None if who.sees_all_leads else who.team_ids
    lead = board_store.get(uow.connection, lead_id=lead_id)
    if lead is None or not board_store.visible(uow.connection, lead_id=lead_id, team_ids=teams):
        reasons = [] if lead is None else _departures(uow, who, lead)
        raise LeadLeft(lead_id, reasons) if reasons else NotFound(f"no lead with id {lead_id}")
    return lead


def check_on_board(uow: UnitOfWork, *, who: Principal, lead_id: int) -> None:
    """NotFound, or LeadLeft for a lead cleared off the board (which an admin may still read
    through the API) or moved off `who`'s teams' boards."""
    lead = _visible_lead(uow, who, lead_id)
    if lead.cleared_at is not None:
        raise LeadLeft(lead_id, _departures(uow, who, lead) or ["cleared"])


def _departures(uow: UnitOfWork, who: Principal, lead: Lead) -> list[str]:
    """How the lead left the boards `who` sees, as far as they saw it: cleared from a stream
    that delivers to their teams, or a stream of theirs that stopped delivering to them."""
    connection = uow.connection
    mine = None if who.sees_all_leads else set(who.team_ids)

    def theirs(stream_id: int) -> bool:
        return mine is None or bool(mine & set(streams_store.team_ids(connection, stream_id)))

    if lead.cleared_at is not None:
        return [
            f"cleared from the stream “{d.stream_name}” by {d.by or 'the system'} at {_at(d.at)}"
            for d in archive_store.clearings_of(connection, lead_id=lead.id)
            if theirs(d.stream_id)
        ]
    if mine is None:
        return []
    stream_ids = [m.stream_id for m in board_store.matches_of(connection, lead_ids=[lead.id])]
    return [
        f"the stream “{d.stream_name}” stopped delivering to your team"
        f" ({d.by or 'the system'} changed its teams at {_at(d.at)})"
        for d in archive_store.team_edits_of(connection, stream_ids=stream_ids)
        if mine & (set(d.changes["team_ids"]["from"]) - set(d.changes["team_ids"]["to"]))
    ]


def _at(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def read_lead(uow: UnitOfWork, *, who: Principal, lead_id: int) -> LeadRead:
    """The lead in this unit of work; NotFound for a lead `who` may not see."""
    return _read_many(uow, [_visible_lead(uow, who, lead_id)])[0]


def render_leads(uow: UnitOfWork, *, lead_ids: list[int]) -> dict[int, LeadRead]:
    """Leads as `GET /leads/{id}` renders them, whoever may see them (for deliveries: the
    webhook sender renders the lead of each change with this, not with a renderer of its own)."""
    ids = list(dict.fromkeys(lead_ids))
    by_id = board_store.get_many(uow.connection, lead_ids=ids)
    found = [by_id[i] for i in ids if i in by_id]
    return {lead.id: lead for lead in _read_many(uow, found)}


def get_lead(ctx: Context, *, who: Principal, lead_id: int) -> LeadRead:
    with ctx.uow(read_only=True) as uow:
        return read_lead(uow, who=who, lead_id=lead_id)


def update_lead(ctx: Context, *, who: Principal, lead_id: int, data: LeadUpdate) -> LeadRead:
    with ctx.uow() as uow:
        lead = _visible_lead(uow, who, lead_id)
        given = data.model_dump(exclude_unset=True)
        now = uow.clock.now()
        values: dict[str, Any] = _lost_reason(lead, given)
        if given.get("stage") is not None and given["stage"] != lead.stage:
            values |= _move(uow, lead, Stage(given["stage"]), who, now, values.get("lost_reason"))
        if "assignee_id" in given and given["assignee_id"] != lead.assignee_id:
            _check_assignee(uow, given["assignee_id"], lead=lead, who=who)
            values["assignee_id"] = given["assignee_id"]
            assignments_store.record_by_hand(
                uow.connection, lead_id=lead.id, contact_id=lead.contact_id,
                user_id=given["assignee_id"], by_user_id=who.id, at=now,
            )  # fmt: skip
            _outbox(uow, Topic.LEAD_ASSIGNED, lead, {"assignee_id": given["assignee_id"]}, now)
        if given.get("hidden") is not None and given["hidden"] != lead.hidden:
            values["hidden"] = given["hidden"]
            _outbox(uow, BoardChange.LEAD_HIDDEN, lead, {"hidden": given["hidden"]}, now)
        if values:
            board_store.update_lead(
                uow.connection, lead_id=lead_id, values=values | {"updated_at": now}
            )
        if "stage" in values:  # a stage change by a user is a change of `lead_stage` (rule 2)
            index = ctx.live.current(uow)
            evaluate_contact(
                uow,
                index=index,
                contact_id=lead.contact_id,
                candidates=index.for_fields({"lead_stage"}),
                trigger={"kind": "contact_update", "fields": ["lead_stage"]},
            )
        changed = read_lead(uow, who=who, lead_id=lead_id)
        uow.commit()
    return changed


def _lost_reason(lead: Lead, given: dict[str, Any]) -> dict[str, Any]:
    """The lead's reason after this update: kept only while it is lost (a move elsewhere
    forgets it); a reason for a lead that will not be lost is refused."""
    to = Stage(given["stage"]) if given.get("stage") is not None else Stage(lead.stage)
    if to is not Stage.LOST:
        if given.get("lost_reason") is not None:
            raise InvalidInput.at(
                "lost_reason", "a reason is kept only with a move to lost, or on a lost lead"
            )
        return {"lost_reason": None} if lead.lost_reason is not None else {}
    if "lost_reason" in given:
        return {"lost_reason": given["lost_reason"]}
    return {"lost_reason": None} if lead.stage != Stage.LOST else {}


def _move(
    uow: UnitOfWork,
    lead: Lead,
    stage: Stage,
    who: Principal,
    now: datetime,
    lost_reason: str | None = None,
) -> dict[str, Any]:
    """The move as rule 5 has it (`domain.stages.move`), recorded with who and when (and why,
    for a move to lost)."""
    moved = move(to=stage, closed_at=lead.closed_at, now=now)
    if moved.reopens:
        other = leads_store.open_lead_id(uow.connection, contact_id=lead.contact_id)
        check_reopen(other_open_lead=other)
    stage_changes_store.record(
        uow.connection, lead_id=lead.id, old=lead.stage, new=str(stage), user_id=who.id, at=now,
        lost_reason=lost_reason,
    )  # fmt: skip
    change: dict[str, Any] = {"from": lead.stage, "to": str(stage)}
    if stage is Stage.LOST:
        change["lost_reason"] = lost_reason
    _outbox(uow, Topic.LEAD_STAGE_CHANGED, lead, change, now)
    return {"stage": str(moved.stage), "closed_at": moved.closed_at}


def _check_assignee(uow: UnitOfWork, user_id: int | None, *, lead: Lead, who: Principal) -> None:
    """Anyone active who works leads; for a sales user, only a member of the lead's teams.
    A sales user is told no more than that (not whether the id is a user, or an active one)."""
    if user_id is None:
        return
    user = board_options.colleague(uow.connection, user_id=user_id)
    if not who.sees_all_leads:
        teams = board_store.team_ids_of_leads(uow.connection, lead_ids=[lead.id]).get(lead.id, [])
        members = board_options.member_ids(uow.connection, team_ids=tuple(teams))
        if user is None or not user.active or user_id not in members:
            raise InvalidInput.at("assignee_id", "choose a member of the lead's teams")
        return
    if user is None or not user.active:
        raise InvalidInput.at("assignee_id", f"no active user with id {user_id}")
    if user.role not in (Role.SALES, Role.ADMIN, Role.MARKETING):
        raise InvalidInput.at("assignee_id", "this user cannot work leads")


def _outbox(
    uow: UnitOfWork, topic: Topic | BoardChange, lead: Lead, extra: dict[str, Any], now: datetime
) -> None:
    payload = {"lead_id": lead.id, "contact_id": lead.contact_id, **extra}
    leads_store.add_outbox(
        uow.connection, topic=topic.value, lead_id=lead.id, payload=payload, at=now
    )


def add_note(ctx: Context, *, who: Principal, lead_id: int, text: str) -> NoteRead:
    with ctx.uow() as uow:
        _visible_lead(uow, who, lead_id)
        note = notes_store.add(
            uow.connection, lead_id=lead_id, user_id=who.id, text=text, at=uow.clock.now()
        )
        uow.commit()
    return NoteRead.model_validate(note, from_attributes=True)


def list_notes(ctx: Context, *, who: Principal, lead_id: int) -> list[NoteRead]:
    with ctx.uow(read_only=True) as uow:
        return read_notes(uow, who=who, lead_id=lead_id)


def read_notes(uow: UnitOfWork, *, who: Principal, lead_id: int) -> list[NoteRead]:
    _visible_lead(uow, who, lead_id)
    found = notes_store.of_lead(uow.connection, lead_id=lead_id)
    return [NoteRead.model_validate(note, from_attributes=True) for note in found]


def stage_changes(ctx: Context, *, who: Principal, lead_id: int) -> list[StageChangeRead]:
    with ctx.uow(read_only=True) as uow:
        return read_stage_changes(uow, who=who, lead_id=lead_id)


def read_stage_changes(uow: UnitOfWork, *, who: Principal, lead_id: int) -> list[StageChangeRead]:
    _visible_lead(uow, who, lead_id)
    found = stage_changes_store.of_lead(uow.connection, lead_id=lead_id)
    return [StageChangeRead.model_validate(change, from_attributes=True) for change in found]


def archive(ctx: Context, *, stream_id: int | None, limit: int = 200) -> list[ClearedMatchRead]:
    with ctx.uow(read_only=True) as uow:
        found = archive_store.cleared_matches(uow.connection, stream_id=stream_id, limit=limit)
    return [ClearedMatchRead.model_validate(match, from_attributes=True) for match in found]


def read_assignments(uow: UnitOfWork, *, who: Principal, lead_id: int) -> list[LeadAssignmentRead]:
    """The lead's assignments, oldest first: who or which policy, and why."""
    _visible_lead(uow, who, lead_id)
    found = assignments_store.of_lead(uow.connection, lead_id=lead_id)
    return [LeadAssignmentRead.model_validate(a, from_attributes=True) for a in found]


def assignments(ctx: Context, *, who: Principal, lead_id: int) -> list[LeadAssignmentRead]:
    with ctx.uow(read_only=True) as uow:
        return read_assignments(uow, who=who, lead_id=lead_id)
