"""The lead feed as server-sent events: one implementation for the API and the pages."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from functools import partial

import anyio
from fastapi.responses import StreamingResponse

from leadstreams.errors import Unauthenticated
from leadstreams.services import auth, feed
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context

POLL_SECONDS = 0.5
READ_LIMIT = 500  # outbox rows read at a time
KEEPALIVE_SECONDS = 15.0
RECHECK_SECONDS = 5.0  # how soon a user disabled or moved to other teams stops seeing leads


async def lead_changes_response(
    ctx: Context, who: Principal, *, resume_from: str | None
) -> StreamingResponse:
    """Changes after `resume_from` (a feed id), or from now on; only what `who` may see."""
    cursor = await anyio.to_thread.run_sync(
        partial(feed.start_cursor, ctx, last_event_id=resume_from)
    )
    return StreamingResponse(
        _events(ctx, who, cursor),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(ctx: Context, who: Principal, cursor: int) -> AsyncIterator[str]:
    """Polls the feed; ends after `feed_seconds` (EventSource reconnects with its last id)."""
    ends = time.monotonic() + ctx.settings.feed_seconds
    quiet_since = checked = time.monotonic()
    yield "retry: 2000\n\n"
    while time.monotonic() < ends:
        if time.monotonic() - checked >= RECHECK_SECONDS:
            try:
                who = await anyio.to_thread.run_sync(partial(auth.recheck, ctx, who))
            except Unauthenticated:
                return  # EventSource reconnects, and is then refused
            checked = time.monotonic()
        found = await anyio.to_thread.run_sync(
            partial(feed.read, ctx, who=who, after=cursor, limit=READ_LIMIT)
        )
        items, cursor = found.items, found.cursor
        for item in items:
            yield f"id: {item.id}\nevent: {item.topic}\ndata: {json.dumps(item.data)}\n\n"
        if items:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            yield ": keepalive\n\n"
            quiet_since = time.monotonic()
        if not found.more:  # after a full read, read on at once: a big fetch drains fast
            await anyio.sleep(POLL_SECONDS)
