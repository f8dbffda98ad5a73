"""The bulk recompute: every contact's score as a resumable background job.

Queued when an active set changes (created active, edited, activated, deactivated). Each
chunk of contact ids is one transaction: the score rules are evaluated in SQL (a CASE WHEN
per rule, `store.scores.Recompute`), the changed scores, states and history rows are written,
and the contacts whose score changed are fed to the streams on `lead_score` as a live field
change would feed them (`services.score_live.feed_streams`, the one match writer).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from leadstreams.domain.scoring import change_reason, compute_totals
from leadstreams.engine.index import StreamIndex
from leadstreams.engine.score_index import ScoreIndex
from leadstreams.services.chunks import next_chunk_size, plan_chunk
from leadstreams.services.context import Context
from leadstreams.services.matching import NewMatch, load_contacts
from leadstreams.services.score_live import feed_streams, score_streams
from leadstreams.store import jobs as jobs_store
from leadstreams.store import score_writes
from leadstreams.store import scores as scores_store
from leadstreams.store.jobs import Job
from leadstreams.store.scores import NO_STATE, RecomputeRow, ScoreChange
from leadstreams.store.uow import UnitOfWork

log = logging.getLogger(__name__)
SCORE_RECOMPUTE = "score_recompute"


def queue_recompute(uow: UnitOfWork, *, reason: str, user_id: int | None) -> int:
    """A job recomputing every contact's score (several may wait: each redoes everything
    with the rules active when it runs, so the last one leaves every score right)."""
    values = {
        "kind": SCORE_RECOMPUTE,
        "stream_id": None,
        "status": "queued",
        "params": {"reason": reason, "user_id": user_id},
        "total": jobs_store.contacts_to_scan(uow.connection),
        "created_at": uow.clock.now(),
    }
    return jobs_store.create(uow.connection, values=values)


def _never() -> bool:
    return False


def run_score_recompute(
    ctx: Context,
    job: Job,
    should_stop: Callable[[], bool] = _never,
    *,
    timer: Callable[[], float] = time.perf_counter,
) -> str:
    """Chunk by chunk, one transaction each, resumable from the committed cursor (a chunk
    done twice changes nothing the second time: the scores are already right)."""
    started = time.monotonic()
    cursor, status = job.cursor, "running"
    least, budget = ctx.settings.fetch_history_chunk, ctx.settings.fetch_history_chunk_seconds
    size = least
    while status == "running":
        if should_stop():
            status = _requeue(ctx, job)
            break
        began = timer()
        status, cursor = _chunk(ctx, job, cursor, size)
        size = next_chunk_size(size, timer() - began, least=least, budget=budget)
    ctx.metrics.job_seconds.labels(SCORE_RECOMPUTE).observe(time.monotonic() - started)
    log.info("score recompute job %s: %s", job.id, status)
    return status


def _requeue(ctx: Context, job: Job) -> str:
    with ctx.uow() as uow:
        current = jobs_store.get(uow.connection, job.id)
        if current is not None and current.status == "running":
            jobs_store.progress(uow.connection, job_id=job.id, values={"status": "queued"})
        uow.commit()
    return "queued"


def _chunk(ctx: Context, job: Job, cursor: int, size: int) -> tuple[str, int]:
    with ctx.uow() as uow:
        connection = uow.connection
        current = jobs_store.get(connection, job.id)
        if current is None or current.status != "running":
            return (current.status if current else "cancelled"), cursor
        now = uow.clock.now()
        last_id = jobs_store.max_contact_id(connection)
        chunk = plan_chunk(cursor=cursor, size=size, last_id=last_id, tables_counted_at_once=False)
        scanned, made = 0, 0
        if cursor < last_id:
            index = ctx.live.current(uow)
            scanned, made = recompute_chunk(
                uow, index, low=chunk.low, high=None if chunk.last else chunk.high, job_id=job.id
            )
        done = cursor >= last_id or chunk.last
        values: dict[str, object] = {
            "cursor": max(cursor, chunk.high),
            "scanned": current.scanned + scanned,
            "total": max(current.total, current.scanned + scanned),
            "matches_created": current.matches_created + made,
            "heartbeat_at": now,
        }
        if done:
            values |= {"status": "done", "finished_at": now, "total": current.scanned + scanned}
        jobs_store.progress(connection, job_id=job.id, values=values)
        uow.commit()
    ctx.metrics.matches_created.labels("live").inc(made)
    return ("done" if done else "running"), max(cursor, chunk.high)


def recompute_chunk(
    uow: UnitOfWork, index: StreamIndex, *, low: int, high: int | None, job_id: int | None
) -> tuple[int, int]:
    """Every contact in (low, high] (after `low` without `high`) recomputed in SQL, the
    changes written and fed to the streams: (contacts read, matches made)."""
    now = uow.clock.now()
    plan = recompute_plan(uow, index)
    if plan.written is not None:
        reason = {"cause": "recompute", "job_id": job_id}
        scanned, moved = plan.written.range(
            uow.connection, low=low, high=high, now=now, reason=reason
        )
    else:
        rows = plan.read.rows(uow.connection, low=low, high=high, now=now)
        changes = [change for row in rows if (change := _change(row, index, now, job_id))]
        scores_store.write_changes(uow.connection, changes, now=now)
        scanned, moved = len(rows), [c.contact_id for c in changes if c.value_changed]
    return scanned, len(feed_moved(uow, index, moved))


@dataclass(frozen=True, slots=True)
class RecomputePlan:
    """The active score rules' recompute statements: the read, and the writes in SQL (None
    when the rules read dated fields: the Python path)."""

    read: scores_store.Recompute
    written: score_writes.SetRecompute | None


# Built once per score index (a streams revision) and dialect, for any moment: each chunk and
# each sweep binds its "now" (building and compiling them took longer than a small sweep).
_PLANS: WeakKeyDictionary[ScoreIndex, dict[str, RecomputePlan]] = WeakKeyDictionary()
_PLANS_LOCK = threading.Lock()


def recompute_plan(uow: UnitOfWork, index: StreamIndex) -> RecomputePlan:
    """The active score rules as the recompute and the sweep read and write them."""
    scoring = index.scoring
    with _PLANS_LOCK:
        found = _PLANS.setdefault(scoring, {}).get(uow.dialect)
    if found is not None:
        return found
    read = scores_store.Recompute(
        [(rule.id, rule.rule) for rule in scoring.rules], scoring.timed, index.vocabulary
    )
    written = (
        score_writes.SetRecompute(read, scoring.points, dialect=uow.dialect)
        if score_writes.supported(read)
        else None
    )
    with _PLANS_LOCK:
        return _PLANS[scoring].setdefault(uow.dialect, RecomputePlan(read, written))


def feed_moved(uow: UnitOfWork, index: StreamIndex, moved: list[int]) -> list[NewMatch]:
    """The contacts whose score moved, fed to the streams on `lead_score`."""
    streams = score_streams(index)
    if not moved or not streams:
        return []
    states = load_contacts(uow, index=index, contact_ids=moved, candidates=streams)
    return feed_streams(uow, index, list(states.values()), streams, uow.clock.now())


def _change(
    row: RecomputeRow, index: StreamIndex, now: datetime, job_id: int | None
) -> ScoreChange | None:
    """The contact's change, as `services.score_live.LiveScores.update` decides it."""
    scoring = index.scoring
    moment = scoring.timed.next_change(row.earliest, row.dated, now)
    score = compute_totals(
        holding=row.holding,
        points=scoring.points,
        adjusted=row.adjusted,
        next_expiry=row.next_expiry,
        rules_change_at=moment,
        now=now,
    )
    before = row.state or NO_STATE
    moved = score.value != row.lead_score or score.holding != before.holding
    if not moved and score.changes_at == before.changes_at:
        return None
    reason = (
        change_reason(before.holding, score.holding, cause="recompute", job_id=job_id)
        if moved
        else None
    )
    return ScoreChange(row.contact_id, score.value, score.holding, score.changes_at,
                       score.value != row.lead_score, reason)  # fmt: skip
