from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from leadstreams.api.deps import Ctx, Who
from leadstreams.domain.roles import Action
from leadstreams.domain.stages import Stage
from leadstreams.rules.fields import Category
from leadstreams.schemas.common import Id, UTCDatetime
from leadstreams.schemas.leads import (
    ClearedMatchRead,
    LeadPage,
    LeadRead,
    LeadUpdate,
    NoteCreate,
    NoteRead,
    StageChangeRead,
)
from leadstreams.services import leads
from leadstreams.services.leads import LeadQuery

router = APIRouter(tags=["leads"])


@router.get("/leads", response_model=LeadPage)
def list_leads(
    ctx: Ctx,
    who: Who,
    stream_id: Id | None = None,
    team_id: Id | None = None,
    stage: Stage | None = None,
    assignee: Annotated[str | None, Query(description="me, none, or a user id")] = None,
    hidden: Annotated[str, Query(pattern="^(true|false|all)$")] = "false",
    category: Category | None = None,
    tag: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    created_from: UTCDatetime | None = None,
    created_to: UTCDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Response:
    """The board, newest first. `hidden`: false (default), true (only hidden) or all."""
    who.require(Action.WORK_LEADS)
    query = LeadQuery(
        stream_id=stream_id,
        team_id=team_id,
        stage=stage,
        assignee=assignee,
        hidden={"true": True, "false": False, "all": None}[hidden],
        category=category,
        tag=tag,
        q=q,
        created_from=created_from,
        created_to=created_to,
        limit=limit,
        cursor=cursor,
    )
    return _json(leads.list_leads(ctx, who=who, query=query))


def _json(page: LeadPage) -> Response:
    """The page as JSON, dumped here in the route's worker thread. A model returned as it is
    would be validated again against `response_model` (in a second trip to the thread pool)
    and then dumped: the same bytes (the same serializer), for more work per page.
    `response_model` still declares the answer in the OpenAPI document."""
    return Response(page.model_dump_json(), media_type="application/json")


@router.get("/leads/archive")
def archive(ctx: Ctx, who: Who, stream_id: Id | None = None) -> list[ClearedMatchRead]:
    """Cleared matches (and the leads they left), newest first."""
    who.require(Action.MANAGE_STREAMS)
    return leads.archive(ctx, stream_id=stream_id)


@router.get("/leads/{lead_id}", response_model=LeadRead)
def get_lead(ctx: Ctx, who: Who, lead_id: Id) -> LeadRead:
    who.require(Action.WORK_LEADS)
    return leads.get_lead(ctx, who=who, lead_id=lead_id)


@router.patch("/leads/{lead_id}", response_model=LeadRead)
def update_lead(ctx: Ctx, who: Who, lead_id: Id, body: LeadUpdate) -> LeadRead:
    """Change stage (won and lost close the lead), assignee, or hide it."""
    who.require(Action.WORK_LEADS)
    return leads.update_lead(ctx, who=who, lead_id=lead_id, data=body)


@router.get("/leads/{lead_id}/stages")
def stage_changes(ctx: Ctx, who: Who, lead_id: Id) -> list[StageChangeRead]:
    who.require(Action.WORK_LEADS)
    return leads.stage_changes(ctx, who=who, lead_id=lead_id)


@router.post("/leads/{lead_id}/notes", status_code=201)
def add_note(ctx: Ctx, who: Who, lead_id: Id, body: NoteCreate) -> NoteRead:
    who.require(Action.WORK_LEADS)
    return leads.add_note(ctx, who=who, lead_id=lead_id, text=body.text)


@router.get("/leads/{lead_id}/notes")
def list_notes(ctx: Ctx, who: Who, lead_id: Id) -> list[NoteRead]:
    who.require(Action.WORK_LEADS)
    return leads.list_notes(ctx, who=who, lead_id=lead_id)
