"""Live board updates for the pages: the lead feed as server-sent events, by session cookie.

The same feed as `GET /api/v1/events/stream` (bearer tokens): only the changes the user may
see, each with an `id` to resume from (`Last-Event-ID`, which EventSource sends by itself).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse

from leadstreams.api.deps import Ctx
from leadstreams.domain.roles import Action
from leadstreams.services import feed
from leadstreams.services.auth import Principal
from leadstreams.web.deps import PageUser

router = APIRouter(include_in_schema=False)
POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0


@router.get("/live/leads")
async def lead_changes(
    ctx: Ctx,
    user: PageUser,
    after: str | None = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """`after`: the feed cursor the page was rendered at; a reconnect's `Last-Event-ID` wins."""
    user.require(Action.WORK_LEADS)
    cursor = await anyio.to_thread.run_sync(
        partial(feed.start_cursor, ctx, last_event_id=last_event_id or after)
    )
    return StreamingResponse(
        _events(ctx, user, cursor),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(ctx: Ctx, user: Principal, cursor: int) -> AsyncIterator[str]:
    """Polls the feed; ends after `feed_seconds` (EventSource reconnects with its last id)."""
    ends = time.monotonic() + ctx.settings.feed_seconds
    quiet_since = time.monotonic()
    yield "retry: 2000\n\n"
    while time.monotonic() < ends:
        items, cursor = await anyio.to_thread.run_sync(
            partial(feed.read, ctx, who=user, after=cursor)
        )
        for item in items:
            yield f"id: {item.id}\nevent: {item.topic}\ndata: {json.dumps(item.data)}\n\n"
        if items:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            yield ": keepalive\n\n"
            quiet_since = time.monotonic()
        await anyio.sleep(POLL_SECONDS)
