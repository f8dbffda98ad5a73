from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse

from leadstreams.api.deps import Ctx, Who
from leadstreams.api.sse import lead_changes_response
from leadstreams.domain.roles import Action

router = APIRouter(tags=["live"])


@router.get(
    "/events/stream",
    response_class=StreamingResponse,
    responses={200: {"description": "Server-sent events", "content": {"text/event-stream": {}}}},
)
async def lead_changes(
    ctx: Ctx, who: Who, last_event_id: Annotated[str | None, Header()] = None
) -> StreamingResponse:
    """Server-sent events of the lead changes the caller may see (`lead.created`,
    `lead.matched`, `lead.stage_changed`, `lead.assigned`, `lead.cleared`, and for live
    boards `lead.hidden` and `stream.changed`). Each has an `id`: reconnect with
    `Last-Event-ID` to resume. A stream ends after `LEADSTREAMS_FEED_SECONDS`; EventSource
    clients reconnect by themselves."""
    who.require(Action.WORK_LEADS)
    return await lead_changes_response(ctx, who, resume_from=last_event_id)
