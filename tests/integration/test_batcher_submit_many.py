"""`EventBatcher.submit_many`: a tracking client's batch waits as one, so it is recorded in
one transaction, and each event still gets its own outcome."""

from __future__ import annotations

import pytest

from leadstreams.errors import NotFound
from leadstreams.schemas.events import EventCreate
from leadstreams.services.batcher import EventBatcher
from leadstreams.services.context import Context
from tests.support.batching import PATIENCE, HeldRecorder


def test_events_handed_in_together_are_recorded_together(ctx: Context) -> None:
    recorder = HeldRecorder()
    recorder.release.set()
    batcher = EventBatcher(ctx, record=recorder)
    try:
        items = [EventCreate(email=f"p{i}@example.com", type="page_visited") for i in range(5)]
        items.append(EventCreate(contact_id=999_999, type="page_visited"))
        futures = batcher.submit_many(items)
        assert all(future.result(PATIENCE).created for future in futures[:5])
        with pytest.raises(NotFound):
            futures[5].result(PATIENCE)
        assert recorder.sizes == [6]
        assert batcher.submit_many([]) == []
    finally:
        batcher.close()
