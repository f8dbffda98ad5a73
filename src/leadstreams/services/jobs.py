"""Background jobs: claim the next one, run it, record a failure. A worker only loops on this."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from leadstreams.errors import LeadstreamsError
from leadstreams.services import fetch_history, score_jobs
from leadstreams.services.context import Context
from leadstreams.store import jobs as jobs_store
from leadstreams.store.jobs import Job
from leadstreams.store.retry import database_unavailable

log = logging.getLogger(__name__)

# A running job whose heartbeat is older than this lost its worker: another one takes it over.
STALE_AFTER = timedelta(seconds=60)
FINAL = ("done", "failed", "cancelled")

Runner = Callable[[Context, Job, Callable[[], bool]], str]
RUNNERS: dict[str, Runner] = {
    fetch_history.FETCH_HISTORY: fetch_history.run_fetch_history,
    score_jobs.SCORE_RECOMPUTE: score_jobs.run_score_recompute,
}


def claim_next(ctx: Context, *, worker: str) -> Job | None:
    """The next queued job, or a stale running one, marked as ours (committed at once)."""
    with ctx.uow() as uow:
        now = uow.clock.now()
        job = jobs_store.claim(uow.connection, worker=worker, now=now, stale_after=STALE_AFTER)
        uow.commit()
    return job


def _never() -> bool:
    return False


def run_next(ctx: Context, *, worker: str, should_stop: Callable[[], bool] = _never) -> Job | None:
    """Claim one job and run it to its end (or until `should_stop`); None when none waits."""
    job = claim_next(ctx, worker=worker)
    if job is None:
        return None
    resumed = f", resuming after contact {job.cursor}" if job.cursor else ""
    log.info("%s: claimed by %s%s", _name(job), worker, resumed)
    run_job(ctx, job, should_stop)
    return job


def run_job(ctx: Context, job: Job, should_stop: Callable[[], bool] = _never) -> str:
    """Run a claimed job; an exception marks it failed with the error text. The final status."""
    try:
        runner = RUNNERS.get(job.kind)
        if runner is None:
            raise LookupError(f"no runner for jobs of kind {job.kind!r}")
        status = runner(ctx, job, should_stop)
    except Exception as error:
        log.exception("%s: failed", _name(job))
        mark_failed(ctx, job_id=job.id, error=failure_text(error))
        return "failed"
    _log_outcome(ctx, job, status)
    return status


def failure_text(error: Exception) -> str:
    """What a job's readers are told: our own errors say what is wrong; any other (a database
    error quoting its SQL, a bug) only that it was unexpected: the log has the rest."""
    if isinstance(error, LeadstreamsError):
        return error.message
    if database_unavailable(error):
        return "the database went out of reach; start the job again"
    return f"an unexpected {type(error).__name__}; the worker's log has the details"


def mark_failed(ctx: Context, *, job_id: int, error: str) -> None:
    """Failed with the error text, unless it ended meanwhile (cancelled, or done elsewhere)."""
    with ctx.uow() as uow:
        current = jobs_store.get(uow.connection, job_id)
        if current is None or current.status in FINAL:
            return
        values = {"status": "failed", "error": error[:4000], "finished_at": uow.clock.now()}
        jobs_store.progress(uow.connection, job_id=job_id, values=values)
        uow.commit()


def _log_outcome(ctx: Context, job: Job, status: str) -> None:
    with ctx.uow(read_only=True) as uow:
        current = jobs_store.get(uow.connection, job.id)
    matches = current.matches_created if current else 0
    log.info("%s: %s, %s matches", _name(job), status, matches)


def _name(job: Job) -> str:
    """'job 3 fetch_history stream 2', as the logs name a job."""
    stream = f" stream {job.stream_id}" if job.stream_id is not None else ""
    return f"job {job.id} {job.kind}{stream}"
