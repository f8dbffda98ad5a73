"""Several processes against one PostgreSQL database: no duplicate leads, no lost work."""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from leadstreams.clock import FixedClock
from leadstreams.config import Settings
from leadstreams.schemas.events import EventCreate
from leadstreams.services import fetch_history
from leadstreams.services.context import Context
from leadstreams.store import jobs as jobs_store
from leadstreams.store.database import Database
from leadstreams.store.tables import leads, matches
from tests.support import builders
from tests.support.service import START, make_context, reset

pytestmark = pytest.mark.postgres
PROCESSES = 6
EVENTS_EACH = 5


@pytest.fixture
def pg(postgres_engine: Engine) -> Context:
    reset(postgres_engine)
    return make_context(postgres_engine, postgres_engine.url.render_as_string(hide_password=False))


def _context(url: str) -> Context:
    # Chunks of 7 contacts that do not grow: the doomed worker dies in its third.
    settings = Settings(
        database_url=url, secret_key="x" * 32, fetch_history_chunk=7, fetch_history_chunk_seconds=0
    )
    return Context(settings=settings, database=Database.at(url), clock=FixedClock(START))


def _post_events(url: str, worker: int, start: Any) -> int:
    """One process: wait for the others, then post events for the same contact."""
    ctx = _context(url)
    start.wait()
    made = 0
    for n in range(EVENTS_EACH):
        data = EventCreate(
            email="racer@example.com",
            type="form_submitted",
            event_id=f"{worker}-{n}",
            properties={"form": "Contact us"},
        )
        made += len(builders.record(ctx, data).matches)
    return made


def test_processes_racing_for_one_contact_make_exactly_one_lead(pg: Context) -> None:
    team_id = builders.team(pg)
    builders.stream(pg, builders.CONTACT_FORM, team_ids=[team_id], name="Contact form")
    builders.stream(pg, {"event": "form_submitted"}, team_ids=[team_id], name="Any form")
    url = pg.settings.database_url
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Manager().Barrier(PROCESSES)
    with spawn.Pool(PROCESSES) as pool:
        made = pool.starmap(_post_events, [(url, w, start) for w in range(PROCESSES)])
    with pg.database.engine.connect() as connection:
        lead_count = connection.scalar(select(func.count()).select_from(leads))
        match_count = connection.scalar(select(func.count()).select_from(matches))
    assert lead_count == 1
    assert match_count == 2  # one per stream, whoever won each race
    assert sum(made) == 2  # and the processes report exactly the matches that exist


def _run_until_killed(url: str, job_id: int, chunks_before_dying: int) -> None:
    """A worker that dies (SIGKILL) in the middle of a chunk, its transaction uncommitted."""
    ctx = _context(url)
    done = 0
    original = fetch_history._match_chunk

    def dying_chunk(*args: Any, **kwargs: Any) -> int:
        nonlocal done
        made = original(*args, **kwargs)
        done += 1
        if done > chunks_before_dying:
            os.kill(os.getpid(), signal.SIGKILL)
        return made

    fetch_history._match_chunk = dying_chunk  # type: ignore[assignment]
    with ctx.uow() as uow:
        job = jobs_store.claim(
            uow.connection, worker="doomed", now=ctx.clock.now(), stale_after=timedelta(seconds=60)
        )
        uow.commit()
    assert job is not None and job.id == job_id
    fetch_history.run_fetch_history(ctx, job)


def _leads_by_contact(ctx: Context) -> set[tuple[int, str]]:
    with ctx.database.engine.connect() as connection:
        rows = connection.execute(
            select(matches.c.contact_id, matches.c.origin).where(matches.c.cleared_at.is_(None))
        )
        return {(contact_id, origin) for contact_id, origin in rows}


def _history_world(ctx: Context) -> int:
    team_id = builders.team(ctx)
    for n in range(40):
        builders.contact(ctx, f"c{n}@example.com", lead_score=n * 3)
    rules = {"field": "lead_score", "op": "gte", "value": 50}
    return builders.stream(ctx, rules, team_ids=[team_id], name="Scored")


def _run_all(ctx: Context, worker: str) -> None:
    while True:
        with ctx.uow() as uow:
            job = jobs_store.claim(
                uow.connection,
                worker=worker,
                now=ctx.clock.now(),
                stale_after=timedelta(seconds=60),
            )
            uow.commit()
        if job is None:
            return
        fetch_history.run_fetch_history(ctx, job)


def test_a_fetch_history_job_killed_midway_resumes_and_ends_with_the_same_leads(
    pg: Context,
) -> None:
    stream_id = _history_world(pg)
    fetch_history.start_fetch_history(pg, stream_id=stream_id, user_id=None)
    _run_all(pg, "steady")
    uninterrupted = _leads_by_contact(pg)
    assert len(uninterrupted) == 40 - 17  # scores 51..117 of 0..117 in steps of 3

    reset(pg.database.engine)
    stream_id = _history_world(pg)
    job = fetch_history.start_fetch_history(pg, stream_id=stream_id, user_id=None)
    spawn = multiprocessing.get_context("spawn")
    worker = spawn.Process(target=_run_until_killed, args=(pg.settings.database_url, job.id, 2))
    worker.start()
    worker.join(60)
    assert worker.exitcode == -signal.SIGKILL
    partial = fetch_history.get_job(pg, job_id=job.id)
    assert partial.status == "running" and 0 < partial.scanned < 40

    assert isinstance(pg.clock, FixedClock)
    pg.clock.advance(minutes=2)  # the dead worker's heartbeat goes stale
    _run_all(pg, "rescuer")
    assert fetch_history.get_job(pg, job_id=job.id).status == "done"
    assert _leads_by_contact(pg) == uninterrupted
