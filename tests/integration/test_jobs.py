"""Background jobs: stopping, resuming, and the rules a fetch-history job evaluates."""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from leadstreams.clock import FixedClock
from leadstreams.errors import Conflict
from leadstreams.schemas.streams import StreamUpdate
from leadstreams.services import fetch_history, jobs, streams, users
from leadstreams.services.context import Context
from leadstreams.store import jobs as jobs_store
from tests.support import builders
from tests.support.service import START


def _scored_contacts(ctx: Context, n: int) -> None:
    for i in range(n):
        builders.contact(
            ctx, f"c{i}@example.com", lead_score=60, city="Oslo" if i % 2 else "Bergen"
        )


def _no_live_matches(ctx: Context) -> int:
    """A stream created after the contacts, so only fetch history can match them."""
    team_id = builders.team(ctx)
    rules = {"field": "lead_score", "op": "gte", "value": 50}
    return builders.stream(ctx, rules, team_ids=[team_id])


def _queued_job(ctx: Context) -> int:
    """A fetch history of 20 contacts, in three chunks of 7 (the test settings' chunk)."""
    _scored_contacts(ctx, 20)
    stream_id = _no_live_matches(ctx)
    return int(fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None).id)


def _one_chunk_then_stop(ctx: Context, job_id: int) -> dict[str, Any]:
    chunks = iter([False, True])  # one chunk, then the worker is asked to stop
    jobs.run_next(ctx, worker="leaving", should_stop=lambda: next(chunks, True))
    return fetch_history.get_job(ctx, job_id=job_id)


def test_a_worker_asked_to_stop_puts_the_job_back_and_the_next_worker_finishes_it(
    ctx: Context,
) -> None:
    job_id = _queued_job(ctx)
    paused = _one_chunk_then_stop(ctx, job_id)
    assert (paused.status, paused.scanned, paused.matches_created) == ("queued", 7, 7)
    jobs.run_next(ctx, worker="next")  # no stale heartbeat to wait for: it was queued again
    done = fetch_history.get_job(ctx, job_id=job_id)
    assert (done.status, done.scanned, done.matches_created) == ("done", 20, 20)


def test_each_run_of_a_job_logs_how_it_ended_and_counts_its_time_and_matches(
    ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    job_id = _queued_job(ctx)
    stream_id = fetch_history.get_job(ctx, job_id=job_id).stream_id

    def durations() -> tuple[float, float]:
        labels = {"kind": "fetch_history"}
        name = "leadstreams_job_duration_seconds"
        return sample(f"{name}_count", labels) or 0.0, sample(f"{name}_sum", labels) or 0.0

    def history_matches() -> float:
        return sample("leadstreams_matches_created_total", {"origin": "history"}) or 0.0

    sample = ctx.metrics.registry.get_sample_value
    count, total, matched = *durations(), history_matches()
    with caplog.at_level(logging.INFO, logger=fetch_history.__name__):
        _one_chunk_then_stop(ctx, job_id)
        jobs.run_next(ctx, worker="next")

    assert [r.getMessage() for r in caplog.records if r.name == fetch_history.__name__] == [
        f"fetch history job {job_id} for stream {stream_id}: queued",
        f"fetch history job {job_id} for stream {stream_id}: done",
    ]
    count_after, total_after = durations()
    assert count_after == count + 2
    assert 0 < total_after - total < 600  # seconds of this test, not of the clock's epoch
    assert history_matches() == matched + 20


def test_a_job_queued_without_its_rules_runs_the_stream_s(ctx: Context) -> None:
    """A job whose params do not pin the rules (queued before jobs did) reads the stream's."""
    _scored_contacts(ctx, 3)
    stream_id = _no_live_matches(ctx)
    params = {"now": START.isoformat(), "user_id": None}
    values = {"kind": "fetch_history", "stream_id": stream_id, "status": "queued",
              "params": params, "total": 3, "created_at": START}  # fmt: skip
    with ctx.uow() as uow:
        job_id = jobs_store.create(uow.connection, values=values)
        uow.commit()

    jobs.run_next(ctx, worker="w")

    done = fetch_history.get_job(ctx, job_id=job_id)
    assert (done.status, done.scanned, done.matches_created) == ("done", 3, 3)


def test_a_job_cancelled_before_its_worker_stops_stays_cancelled(ctx: Context) -> None:
    job_id = _queued_job(ctx)
    stream_id = fetch_history.get_job(ctx, job_id=job_id).stream_id
    assert stream_id is not None
    asked = iter([False])

    def deactivated_then_stop() -> bool:  # after one chunk: the stream is deactivated
        if next(asked, True):
            streams.set_active(ctx, stream_id=stream_id, active=False, user_id=None)
            return True
        return False

    jobs.run_next(ctx, worker="leaving", should_stop=deactivated_then_stop)
    assert fetch_history.get_job(ctx, job_id=job_id).status == "cancelled"


def test_a_job_cancelled_while_its_worker_runs_ends_when_it_was_cancelled(ctx: Context) -> None:
    """The stream is deactivated between two chunks (which cancels the job), and the worker
    reads the job later: it stops there and leaves the cancellation's time as it was."""
    job_id = _queued_job(ctx)
    stream_id = fetch_history.get_job(ctx, job_id=job_id).stream_id
    assert stream_id is not None and isinstance(ctx.clock, FixedClock)
    clock, asked = ctx.clock, iter([False])

    def deactivated_meanwhile() -> bool:  # after one chunk; the worker is not asked to stop
        if next(asked, True):
            streams.set_active(ctx, stream_id=stream_id, active=False, user_id=None)
            clock.advance(minutes=1)
        return False

    jobs.run_next(ctx, worker="w", should_stop=deactivated_meanwhile)
    job = fetch_history.get_job(ctx, job_id=job_id)
    assert (job.status, job.scanned, job.finished_at) == ("cancelled", 7, START)


def test_a_chunk_s_eligible_contacts_are_matched_batch_after_batch(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_history, "MATCH_BATCH", 2)  # 7 eligible: batches of 2, 2, 2, 1
    job_id = _queued_job(ctx)
    jobs.run_next(ctx, worker="w")
    done = fetch_history.get_job(ctx, job_id=job_id)
    assert (done.status, done.scanned, done.matches_created) == ("done", 20, 20)


def test_progress_counts_a_contact_on_a_chunk_boundary_once(ctx: Context) -> None:
    unsized = {"fetch_history_chunk_seconds": 0}  # every chunk of the configured 7
    ctx = replace(ctx, settings=ctx.settings.model_copy(update=unsized))
    job_id = _queued_job(ctx)
    chunks = iter([False, False, True])  # two chunks of 7, (0, 7] and (7, 14], then stop
    jobs.run_next(ctx, worker="leaving", should_stop=lambda: next(chunks, True))
    paused = fetch_history.get_job(ctx, job_id=job_id)
    assert (paused.status, paused.scanned, paused.total, paused.matches_created) == (
        "queued", 14, 20, 14,
    )  # fmt: skip


def test_a_total_estimated_too_low_grows_with_the_scan_and_is_exact_at_the_end(
    ctx: Context,
) -> None:
    job_id = _queued_job(ctx)
    with ctx.uow() as uow:  # as PostgreSQL's estimate of a large table may be
        jobs_store.progress(uow.connection, job_id=job_id, values={"total": 3})
        uow.commit()
    paused = _one_chunk_then_stop(ctx, job_id)
    assert (paused.scanned, paused.total) == (7, 7)
    jobs.run_next(ctx, worker="next")
    done = fetch_history.get_job(ctx, job_id=job_id)
    assert (done.status, done.scanned, done.total) == ("done", 20, 20)


def test_a_job_s_total_is_counted_except_for_a_large_postgresql_table(ctx: Context) -> None:
    _scored_contacts(ctx, 5)
    with ctx.database.engine.begin() as connection:
        counted = jobs_store.count_contacts(connection)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE contacts")
    for i in range(3):  # the planner's statistics do not know of these yet
        builders.contact(ctx, f"late{i}@example.com")
    with ctx.database.engine.begin() as connection:
        assert jobs_store.contacts_to_scan(connection) == counted + 3  # small: counted
        large = jobs_store.contacts_to_scan(connection, exact_below=0)
        estimated = connection.dialect.name == "postgresql"
        assert large == (counted if estimated else counted + 3)


def test_an_edit_during_fetch_history_leaves_the_job_with_the_rules_it_started_with(
    ctx: Context,
) -> None:
    _scored_contacts(ctx, 20)
    stream_id = _no_live_matches(ctx)
    job = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    only_oslo = {"all": [{"field": "city", "op": "eq", "value": "Oslo"}]}
    streams.update_stream(
        ctx, stream_id=stream_id, data=StreamUpdate(rules=only_oslo), user_id=None
    )
    jobs.run_next(ctx, worker="w")
    assert fetch_history.get_job(ctx, job_id=job.id).matches_created == 20


def _chunk_sizes(
    ctx: Context,
    monkeypatch: pytest.MonkeyPatch,
    *,
    seconds_per_chunk: float,
    budget: float,
    contacts: int = 40,
) -> list[int]:
    """Fetch history over `contacts` contacts, first chunk 4, each chunk taking
    `seconds_per_chunk` by the job's timer: the contacts in each chunk. The job must end as
    it would in one chunk."""
    settings = {"fetch_history_chunk": 4, "fetch_history_chunk_seconds": budget}
    ctx = replace(ctx, settings=ctx.settings.model_copy(update=settings))
    _scored_contacts(ctx, contacts)  # consecutive ids: a chunk's id range is its contacts
    stream_id = _no_live_matches(ctx)
    started = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    sizes: list[int] = []
    match_chunk = fetch_history._match_chunk

    def recording(*args: Any, low: int, high: int, **kwargs: Any) -> tuple[int | None, int]:
        sizes.append(high - low)
        return match_chunk(*args, low=low, high=high, **kwargs)

    monkeypatch.setattr(fetch_history, "_match_chunk", recording)
    with ctx.uow() as uow:
        job = jobs_store.claim(
            uow.connection, worker="w", now=ctx.clock.now(), stale_after=timedelta(seconds=60)
        )
        uow.commit()
    assert job is not None
    ticks = itertools.count(0.0, seconds_per_chunk)  # read as each chunk begins and ends
    assert fetch_history.run_fetch_history(ctx, job, timer=lambda: next(ticks)) == "done"
    done = fetch_history.get_job(ctx, job_id=started.id)
    assert (done.scanned, done.total, done.matches_created) == (contacts,) * 3
    return sizes


def test_fetch_history_chunks_grow_while_they_finish_well_within_their_time_budget(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A quarter of the budget: the next chunk four times as large, then the rest.
    assert _chunk_sizes(ctx, monkeypatch, seconds_per_chunk=0.25, budget=1.0) == [4, 16, 20]


def test_fetch_history_chunks_grow_at_most_eightfold_and_take_a_small_rest_along(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 4, then 32 (not 400), and the 4 left after those (at most half a chunk) go with them.
    assert _chunk_sizes(ctx, monkeypatch, seconds_per_chunk=0.01, budget=1.0) == [4, 36]


def test_the_last_fetch_history_chunk_takes_a_rest_of_half_a_chunk_along(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = _chunk_sizes(ctx, monkeypatch, seconds_per_chunk=0.25, budget=1.0, contacts=28)
    assert sizes == [4, 24]  # 16, and the 8 left after them


def test_a_rest_of_more_than_half_a_chunk_is_a_fetch_history_chunk_of_its_own(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = _chunk_sizes(ctx, monkeypatch, seconds_per_chunk=0.25, budget=1.0, contacts=29)
    assert sizes == [4, 16, 9]


def test_fetch_history_chunks_stay_at_the_configured_size_when_they_take_too_long(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _chunk_sizes(ctx, monkeypatch, seconds_per_chunk=2.0, budget=1.0) == [4] * 10


def test_fetch_history_chunks_keep_the_configured_size_with_no_time_budget(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _chunk_sizes(ctx, monkeypatch, seconds_per_chunk=0.01, budget=0.0) == [4] * 10


def test_a_team_that_is_some_stream_s_only_team_cannot_be_deleted(ctx: Context) -> None:
    team_id = builders.team(ctx, "Only")
    builders.stream(ctx, {"field": "city", "op": "is_set"}, team_ids=[team_id], active=False)
    try:
        users.delete_team(ctx, team_id=team_id)
    except Conflict as error:
        assert "'Hot leads'" in error.message
    else:
        raise AssertionError("the team was deleted, leaving its stream with no team")
    assert users.get_team(ctx, team_id=team_id).name == "Only"


def test_a_job_queued_by_another_request_a_moment_ago_is_refused_by_the_unique_key(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream_id = _no_live_matches(ctx)
    fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    # As if the other request's job were not yet visible when this one looked.
    monkeypatch.setattr(jobs_store, "live_for_stream", lambda *args, **kwargs: False)
    with pytest.raises(Conflict, match="already running"):
        fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    with ctx.uow(read_only=True) as uow:
        assert jobs_store.get(uow.connection, 2) is None  # nothing of the refused one stays
