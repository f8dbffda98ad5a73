"""Live board updates for the pages: the lead feed as server-sent events, by session cookie.

The same feed as `GET /api/v1/events/stream` (bearer tokens): only the changes the user may
see, each with an `id` to resume from (`Last-Event-ID`, which EventSource sends by itself).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse

from leadstreams.api.deps import Ctx
from leadstreams.api.sse import lead_changes_response
from leadstreams.domain.roles import Action
from leadstreams.web.deps import PageUser

router = APIRouter(include_in_schema=False)


@router.get("/live/leads")
async def lead_changes(
    ctx: Ctx,
    user: PageUser,
    after: str | None = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """`after`: the feed cursor the page was rendered at; a reconnect's `Last-Event-ID` wins."""
    user.require(Action.WORK_LEADS)
    return await lead_changes_response(ctx, user, resume_from=last_event_id or after)
