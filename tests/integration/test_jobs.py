"""Background jobs: stopping, resuming, and the rules a fetch-history job evaluates."""

from __future__ import annotations

from leadstreams.errors import Conflict
from leadstreams.schemas.streams import StreamUpdate
from leadstreams.services import history, jobs, streams, users
from leadstreams.services.context import Context
from tests.support import builders


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


def test_a_worker_asked_to_stop_puts_the_job_back_and_the_next_worker_finishes_it(
    ctx: Context,
) -> None:
    _scored_contacts(ctx, 20)  # three chunks of 7
    stream_id = _no_live_matches(ctx)
    job = history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    chunks = iter([False, True])  # one chunk, then the worker is asked to stop
    jobs.run_next(ctx, worker="leaving", should_stop=lambda: next(chunks, True))
    paused = history.get_job(ctx, job_id=job["id"])
    assert (paused["status"], paused["scanned"], paused["matches_created"]) == ("queued", 7, 7)
    jobs.run_next(ctx, worker="next")  # no stale heartbeat to wait for: it was queued again
    done = history.get_job(ctx, job_id=job["id"])
    assert (done["status"], done["scanned"], done["matches_created"]) == ("done", 20, 20)


def test_an_edit_during_fetch_history_leaves_the_job_with_the_rules_it_started_with(
    ctx: Context,
) -> None:
    _scored_contacts(ctx, 20)
    stream_id = _no_live_matches(ctx)
    job = history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    only_oslo = {"all": [{"field": "city", "op": "eq", "value": "Oslo"}]}
    streams.update_stream(
        ctx, stream_id=stream_id, data=StreamUpdate(rules=only_oslo), user_id=None
    )
    jobs.run_next(ctx, worker="w")
    assert history.get_job(ctx, job_id=job["id"])["matches_created"] == 20


def test_a_team_that_is_some_stream_s_only_team_cannot_be_deleted(ctx: Context) -> None:
    team_id = builders.team(ctx, "Only")
    builders.stream(ctx, {"field": "city", "op": "is_set"}, team_ids=[team_id], active=False)
    try:
        users.delete_team(ctx, team_id=team_id)
    except Conflict as error:
        assert "'Hot leads'" in error.message
    else:
        raise AssertionError("the team was deleted, leaving its stream with no team")
    assert users.get_team(ctx, team_id=team_id)["name"] == "Only"
