from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from leadstreams.api.deps import Batcher, Ctx, Who
from leadstreams.domain.roles import Action
from leadstreams.schemas.events import EventBatch, EventBatchResult, EventCreate, EventCreated
from leadstreams.services import ingest

router = APIRouter(tags=["events"])


@router.post("/events", status_code=201, response_model=EventCreated)
async def record_event(
    batcher: Batcher, who: Who, body: EventCreate, response: Response
) -> EventCreated:
    """Store an event and evaluate the streams it can trigger, in one transaction.
    The same `event_id` again answers 200 and changes nothing."""
    who.require(Action.INGEST_EVENTS)
    # Recorded together with the events of concurrent requests (services/batcher.py); the
    # answer comes once the transaction is committed, so the lead is readable by then.
    recorded = await asyncio.wrap_future(batcher.submit(body))
    response.status_code = 201 if recorded.created else 200
    return recorded.read()


@router.post("/events/batch")
def record_events(ctx: Ctx, who: Who, body: EventBatch) -> EventBatchResult:
    """Up to 10,000 events; a result per item (created, duplicate or error with details)."""
    who.require(Action.INGEST_EVENTS)
    return EventBatchResult(results=ingest.record_events(ctx, items=body.events))
