from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse

from leadstreams.api.deps import Ctx, Who
from leadstreams.domain.roles import Action
from leadstreams.services import feed

router = APIRouter(tags=["live"])
POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0


@router.get("/events/stream")
async def lead_changes(
    ctx: Ctx, who: Who, last_event_id: Annotated[str | None, Header()] = None
) -> StreamingResponse:
    """Server-sent events of the lead changes the caller may see (`lead.created`,
    `lead.matched`, `lead.stage_changed`, `lead.assigned`). Each has an `id`: reconnect with
    `Last-Event-ID` to resume. A stream ends after `LEADSTREAMS_FEED_SECONDS`; EventSource
    clients reconnect by themselves."""
    who.require(Action.WORK_LEADS)
    cursor = await anyio.to_thread.run_sync(
        partial(feed.start_cursor, ctx, last_event_id=last_event_id)
    )
    return StreamingResponse(
        _stream(ctx, who, cursor),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(ctx: Ctx, who: Who, cursor: int) -> AsyncIterator[str]:
    ends = time.monotonic() + ctx.settings.feed_seconds
    quiet_since = time.monotonic()
    yield "retry: 2000\n\n"
    while time.monotonic() < ends:
        items, cursor = await anyio.to_thread.run_sync(
            partial(feed.read, ctx, who=who, after=cursor)
        )
        for item in items:
            yield f"id: {item.id}\nevent: {item.topic}\ndata: {json.dumps(item.data)}\n\n"
        if items:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            yield ": keepalive\n\n"
            quiet_since = time.monotonic()
        await anyio.sleep(POLL_SECONDS)
