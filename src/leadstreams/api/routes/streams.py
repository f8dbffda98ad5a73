from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from leadstreams.api.deps import Ctx, Who
from leadstreams.domain.roles import Action
from leadstreams.schemas.common import Id
from leadstreams.schemas.jobs import JobRead
from leadstreams.schemas.streams import (
    StreamCreate,
    StreamLogEntry,
    StreamPreview,
    StreamRead,
    StreamUpdate,
)
from leadstreams.services import fetch_history as fetching
from leadstreams.services import streams

router = APIRouter(tags=["streams"])


@router.post("/streams", status_code=201, response_model=StreamRead)
def create_stream(ctx: Ctx, who: Who, body: StreamCreate) -> StreamRead:
    """A new stream is inactive; activate it to make leads."""
    who.require(Action.MANAGE_STREAMS)
    return streams.create_stream(ctx, data=body, user_id=who.id)


@router.get("/streams", response_model=list[StreamRead])
def list_streams(ctx: Ctx, who: Who) -> list[StreamRead]:
    who.require(Action.READ_STREAMS)
    return streams.list_streams(ctx)


@router.get("/streams/{stream_id}", response_model=StreamRead)
def get_stream(ctx: Ctx, who: Who, stream_id: Id) -> StreamRead:
    who.require(Action.READ_STREAMS)
    return streams.get_stream(ctx, stream_id=stream_id)


@router.patch("/streams/{stream_id}", response_model=StreamRead)
def update_stream(ctx: Ctx, who: Who, stream_id: Id, body: StreamUpdate) -> StreamRead:
    """Allowed while active: new rules apply to changes arriving after the edit."""
    who.require(Action.MANAGE_STREAMS)
    return streams.update_stream(ctx, stream_id=stream_id, data=body, user_id=who.id)


@router.delete("/streams/{stream_id}", status_code=204)
def delete_stream(ctx: Ctx, who: Who, stream_id: Id) -> Response:
    """Archive an inactive stream (409 while active); its leads stay on the board."""
    who.require(Action.MANAGE_STREAMS)
    streams.delete_stream(ctx, stream_id=stream_id, user_id=who.id)
    return Response(status_code=204)


@router.post("/streams/{stream_id}/activate", response_model=StreamRead)
def activate(ctx: Ctx, who: Who, stream_id: Id) -> StreamRead:
    who.require(Action.MANAGE_STREAMS)
    return streams.set_active(ctx, stream_id=stream_id, active=True, user_id=who.id)


@router.post("/streams/{stream_id}/deactivate", response_model=StreamRead)
def deactivate(ctx: Ctx, who: Who, stream_id: Id) -> StreamRead:
    """Stops live matching and cancels a running fetch-history job."""
    who.require(Action.MANAGE_STREAMS)
    return streams.set_active(ctx, stream_id=stream_id, active=False, user_id=who.id)


@router.post("/streams/{stream_id}/fetch-history", status_code=202)
def fetch_history(ctx: Ctx, who: Who, stream_id: Id) -> JobRead:
    """Queue a job matching every contact as it is now (409 while inactive or running)."""
    who.require(Action.MANAGE_STREAMS)
    return fetching.start_fetch_history(ctx, stream_id=stream_id, user_id=who.id)


@router.post("/streams/{stream_id}/clear")
def clear(ctx: Ctx, who: Who, stream_id: Id) -> dict[str, int]:
    """Clear every match of an inactive stream (409 while active); nothing is destroyed."""
    who.require(Action.MANAGE_STREAMS)
    return {"cleared": fetching.clear_stream(ctx, stream_id=stream_id, user_id=who.id)}


@router.get("/streams/{stream_id}/preview")
def preview(
    ctx: Ctx, who: Who, stream_id: Id, sample: Annotated[int, Query(ge=0, le=100)] = 10
) -> StreamPreview:
    """How many contacts match the rules now, with a sample."""
    who.require(Action.MANAGE_STREAMS)
    return streams.preview(ctx, stream_id=stream_id, sample=sample)


@router.get("/streams/{stream_id}/history")
def stream_log(ctx: Ctx, who: Who, stream_id: Id) -> list[StreamLogEntry]:
    """Every change: who, when, what."""
    who.require(Action.MANAGE_STREAMS)
    return streams.stream_log(ctx, stream_id=stream_id)


@router.get("/jobs/{job_id}")
def get_job(ctx: Ctx, who: Who, job_id: Id) -> JobRead:
    who.require(Action.READ_JOBS)
    return fetching.get_job(ctx, job_id=job_id)
