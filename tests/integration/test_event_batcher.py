"""The event batcher on its own (services/batcher.py): batches, stopping, failures, retries."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest
from sqlalchemy.exc import OperationalError

from leadstreams.errors import NotFound
from leadstreams.schemas.events import EventCreate
from leadstreams.services.batcher import EventBatcher
from leadstreams.services.context import Context
from leadstreams.services.ingest import Recorded
from tests.support.batching import PATIENCE, HeldRecorder, wait_until_waiting


def visit(email: str) -> EventCreate:
    return EventCreate(email=email, type="page_visited")


def held(
    batcher: EventBatcher, recorder: HeldRecorder, emails: list[str]
) -> list[Future[Recorded]]:
    """The first event alone in the first batch (held), the others waiting behind it."""
    first = batcher.submit(visit(emails[0]))
    assert recorder.entered.wait(PATIENCE)
    rest = [batcher.submit(visit(email)) for email in emails[1:]]
    wait_until_waiting(batcher, len(rest))
    return [first, *rest]


def test_closing_records_what_is_waiting_then_stops(ctx: Context) -> None:
    recorder = HeldRecorder()
    batcher = EventBatcher(ctx, record=recorder)
    futures = held(batcher, recorder, [f"p{i}@example.com" for i in range(4)])

    closing = threading.Thread(target=batcher.close)
    closing.start()
    recorder.release.set()
    closing.join(PATIENCE)

    assert not closing.is_alive()
    assert not batcher.running
    assert recorder.sizes == [1, 3]
    assert all(future.result(0).created for future in futures)
    again = batcher.submit(visit("after@example.com"))  # a later event starts it again
    assert again.result(PATIENCE).created
    batcher.close()
    assert not batcher.running


def test_each_event_gets_its_own_outcome(ctx: Context) -> None:
    recorder = HeldRecorder()
    batcher = EventBatcher(ctx, record=recorder)
    first = batcher.submit(visit("first@example.com"))
    assert recorder.entered.wait(PATIENCE)
    good = batcher.submit(visit("good@example.com"))
    bad = batcher.submit(EventCreate(contact_id=999999, type="page_visited"))
    wait_until_waiting(batcher, 2)
    recorder.release.set()

    assert first.result(PATIENCE).created
    assert isinstance(bad.exception(PATIENCE), NotFound)
    recorded = good.result(PATIENCE)
    assert recorded.created and recorded.contact_id != first.result().contact_id
    assert recorder.sizes == [1, 2]
    batcher.close()


def test_an_error_fails_only_the_event_at_fault_and_the_batcher_goes_on(ctx: Context) -> None:
    """The batch is recorded again in halves until the event at fault is alone."""
    recorder = HeldRecorder(poison="b@example.com")
    batcher = EventBatcher(ctx, record=recorder)
    emails = ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]
    first, poisoned, *rest = held(batcher, recorder, emails)
    recorder.release.set()

    assert first.result(PATIENCE).created
    error = poisoned.exception(PATIENCE)
    assert isinstance(error, RuntimeError) and str(error) == "cannot store b@example.com"
    assert all(future.result(PATIENCE).created for future in rest)
    assert recorder.sizes == [1, 3, 1, 2]
    assert batcher.submit(visit("e@example.com")).result(PATIENCE).created
    batcher.close()


class _DatabaseError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("sqlstate", "sizes"), [("40P01", [1, 1]), (None, [1])])
def test_a_deadlocked_batch_is_recorded_again(
    ctx: Context, sqlstate: str | None, sizes: list[int]
) -> None:
    """A deadlock rolled the whole transaction back: the batch is recorded once more. Any
    other database error fails the batch."""
    deadlock = OperationalError("INSERT ...", {}, _DatabaseError(sqlstate))
    recorder = HeldRecorder({0: deadlock})
    recorder.release.set()
    batcher = EventBatcher(ctx, record=recorder)

    future = batcher.submit(visit("a@example.com"))

    if sqlstate is None:
        assert future.exception(PATIENCE) is deadlock
    else:
        assert future.result(PATIENCE).created
    assert recorder.sizes == sizes
    batcher.close()


def test_an_event_whose_request_went_away_before_its_batch_is_not_recorded(
    ctx: Context,
) -> None:
    recorder = HeldRecorder()
    batcher = EventBatcher(ctx, record=recorder)
    first, gone, kept = held(batcher, recorder, ["a@example.com", "b@example.com", "c@example.com"])
    assert gone.cancel()
    recorder.release.set()

    assert first.result(PATIENCE).created and kept.result(PATIENCE).created
    assert recorder.sizes == [1, 1]
    batcher.close()


def test_the_thread_ends_when_idle_and_starts_again_with_the_next_event(ctx: Context) -> None:
    batcher = EventBatcher(ctx, idle_seconds=0)
    assert batcher.submit(visit("a@example.com")).result(PATIENCE).created
    for _ in range(PATIENCE * 100):
        if not batcher.running:
            break
        threading.Event().wait(0.01)
    assert not batcher.running
    assert batcher.submit(visit("b@example.com")).result(PATIENCE).created


def test_batches_are_at_most_max_items(ctx: Context) -> None:
    recorder = HeldRecorder()
    batcher = EventBatcher(ctx, record=recorder, max_items=2)
    futures = held(batcher, recorder, [f"p{i}@example.com" for i in range(6)])
    recorder.release.set()

    assert all(future.result(PATIENCE).created for future in futures)
    assert recorder.sizes == [1, 2, 2, 1]
    batcher.close()
