"""Fetch history (rule 6) as a resumable job, and clearing a stream's leads (rule 7)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from leadstreams.domain.matching import Origin, may_match, requalify_cutoff
from leadstreams.domain.streams import StreamAction
from leadstreams.domain.topics import SEEN_BY, Topic
from leadstreams.errors import Conflict, NotFound
from leadstreams.rules import Explainer, Vocabulary, parse, reads
from leadstreams.schemas.jobs import JobRead
from leadstreams.services.chunks import Chunk, Progress, next_chunk_size, plan_chunk, progress_after
from leadstreams.services.context import Context
from leadstreams.store import fetch_history as fetch_store
from leadstreams.store import fields as fields_store
from leadstreams.store import jobs as jobs_store
from leadstreams.store import leads as leads_store
from leadstreams.store import match_writer, rule_inputs
from leadstreams.store import streams as streams_store
from leadstreams.store.jobs import Job
from leadstreams.store.match_writer import MatchToWrite
from leadstreams.store.streams import Stream
from leadstreams.store.uow import UnitOfWork

log = logging.getLogger(__name__)
FETCH_HISTORY = "fetch_history"
MATCH_BATCH = 1_000  # contacts explained and matched at a time: bounds the events in memory


def start_fetch_history(ctx: Context, *, stream_id: int, user_id: int | None) -> JobRead:
    """Queue the job; 409 while the stream is inactive or while one runs for it."""
    running = Conflict("a fetch-history job is already running for this stream")
    with ctx.uow() as uow:
        stream = streams_store.get_for_update(uow.connection, stream_id)
        if stream is None:
            raise NotFound(f"no stream with id {stream_id}")
        if not stream.active:
            raise Conflict("fetch history needs the stream to be active")
        if jobs_store.live_for_stream(uow.connection, kind=FETCH_HISTORY, stream_id=stream_id):
            raise running
        now = uow.clock.now()
        values = {
            "kind": FETCH_HISTORY,
            "stream_id": stream_id,
            "status": "queued",
            # The rules as they are now: an edit during the job applies to live changes only.
            "params": {"now": now.isoformat(), "rules": stream.rules, "user_id": user_id},
            "total": jobs_store.contacts_to_scan(uow.connection),
            "created_at": now,
        }
        try:
            job_id = jobs_store.create(uow.connection, values=values)
        except jobs_store.AlreadyRunning as error:  # another request queued one a moment ago
            raise running from error
        streams_store.append_log(
            uow.connection,
            stream_id=stream_id,
            user_id=user_id,
            action=StreamAction.FETCH_HISTORY_STARTED,
            changes={"job_id": job_id},
            at=now,
        )
        job = job_read(jobs_store.get(uow.connection, job_id))
        uow.commit()
    return job


def get_job(ctx: Context, *, job_id: int) -> JobRead:
    with ctx.uow(read_only=True) as uow:
        return job_read(jobs_store.get(uow.connection, job_id))


def job_read(job: Job | None) -> JobRead:
    if job is None:
        raise NotFound("no such job")
    return JobRead.model_validate(job)


def _never() -> bool:
    return False


@dataclass(frozen=True)
class _Plan:
    """What every chunk of one run needs, read and compiled once: the job's pinned rule."""

    scanner: fetch_store.Scanner
    vocabulary: Vocabulary
    as_of: datetime  # windows are measured from the job's start
    needs: rule_inputs.Needs  # what explaining a match reads of its contact
    explainer: Explainer


def _plan(uow: UnitOfWork, job: Job, stream: Stream) -> _Plan:
    as_of = datetime.fromisoformat(job.params["now"])
    vocabulary = fields_store.vocabulary(uow.connection)
    rule = parse(job.params.get("rules", stream.rules), vocabulary)
    return _Plan(
        fetch_store.Scanner(rule, vocabulary, as_of=as_of),
        vocabulary,
        as_of,
        rule_inputs.Needs.of([reads(rule)], as_of),
        Explainer(rule, vocabulary),
    )


def run_fetch_history(
    ctx: Context,
    job: Job,
    should_stop: Callable[[], bool] = _never,
    *,
    timer: Callable[[], float] = time.perf_counter,
) -> str:
    """Work a claimed job chunk by chunk, one transaction each; returns its final status.

    Progress (the cursor) commits with each chunk, so a job taken over after a crash resumes
    where the last committed chunk ended, and makes nothing twice (the unique keys see to it).
    A worker that is asked to stop puts the job back in the queue after the chunk in hand.
    The rule is parsed and compiled once per run (the job pins it), not once per chunk.
    Chunks are sized by `services.chunks`: few statements for a large table, each
    transaction within `fetch_history_chunk_seconds`.
    """
    started = time.monotonic()
    cursor = job.cursor
    status = "running"
    plan: _Plan | None = None
    least, budget = ctx.settings.fetch_history_chunk, ctx.settings.fetch_history_chunk_seconds
    size = least
    while status == "running":
        if should_stop():
            status = _requeue(ctx, job)
            break
        began = timer()
        status, cursor, plan = _chunk(ctx, job, cursor, plan, size)
        size = next_chunk_size(size, timer() - began, least=least, budget=budget)
    ctx.metrics.job_seconds.labels(FETCH_HISTORY).observe(time.monotonic() - started)
    log.info("fetch history job %s for stream %s: %s", job.id, job.stream_id, status)
    return status


def _requeue(ctx: Context, job: Job) -> str:
    with ctx.uow() as uow:
        current = jobs_store.get(uow.connection, job.id)
        if current is not None and current.status == "running":
            jobs_store.progress(uow.connection, job_id=job.id, values={"status": "queued"})
        uow.commit()
    return "queued"


def _chunk(
    ctx: Context, job: Job, cursor: int, plan: _Plan | None, size: int
) -> tuple[str, int, _Plan | None]:
    """One chunk of about `size` contacts after `cursor`, in one transaction; the last one
    also ends the job. Returns the job's status, the new cursor and the run's plan."""
    with ctx.uow() as uow:
        connection = uow.connection
        current = jobs_store.get(connection, job.id)
        if current is None or current.status != "running":
            return (current.status if current else "cancelled"), cursor, plan
        stream = streams_store.get(connection, job.stream_id) if job.stream_id else None
        now = uow.clock.now()
        if stream is None or not stream.active:
            values = {"status": "cancelled", "finished_at": now}
            jobs_store.progress(connection, job_id=job.id, values=values)
            uow.commit()
            return "cancelled", cursor, plan
        before = Progress(cursor, current.scanned, current.total, current.matches_created)
        last_id = jobs_store.max_contact_id(connection)
        if cursor >= last_id:  # no contacts, or none left since the job was stopped
            _finish(uow, current, stream, Progress(cursor, before.scanned, before.scanned,
                                                   before.matches_created))  # fmt: skip
            uow.commit()
            return "done", cursor, plan
        plan = plan or _plan(uow, job, stream)
        chunk = plan_chunk(
            cursor=cursor,
            size=size,
            last_id=last_id,
            tables_counted_at_once=fetch_store.counts_tables_at_once(connection),
        )
        scanned, made = _match_chunk(uow, job, stream, plan, chunk, low=chunk.low, high=chunk.high)
        table_count = jobs_store.count_contacts(connection) if scanned is None else None
        after = progress_after(before, chunk, scanned=scanned, made=made, table_count=table_count)
        if chunk.last:
            _finish(uow, current, stream, after)
        else:
            jobs_store.progress(connection, job_id=job.id, values=_values(after, now))
        uow.commit()
    ctx.metrics.matches_created.labels("history").inc(made)
    return ("done" if chunk.last else "running"), chunk.high, plan


def _values(progress: Progress, now: datetime) -> dict[str, object]:
    return {
        "cursor": progress.cursor,
        "scanned": progress.scanned,
        "total": progress.total,
        "matches_created": progress.matches_created,
        "heartbeat_at": now,
    }


def _finish(uow: UnitOfWork, job: Job, stream: Stream, progress: Progress) -> None:
    """The job is done, every contact scanned; its last chunk ends it in the same transaction."""
    connection, now = uow.connection, uow.clock.now()
    values = _values(progress, now) | {"status": "done", "finished_at": now}
    jobs_store.progress(connection, job_id=job.id, values=values)
    streams_store.update_values(connection, stream_id=stream.id, values={"history_fetched_at": now})
    streams_store.append_log(
        connection,
        stream_id=stream.id,
        user_id=job.params.get("user_id"),
        action=StreamAction.FETCH_HISTORY_DONE,
        changes={"job_id": job.id, "matches_created": progress.matches_created},
        at=now,
    )
    teams = streams_store.team_ids(connection, stream.id)
    leads_store.announce_stream(
        connection, stream_id=stream.id, team_ids=teams, what="history_fetched", at=now
    )


def _match_chunk(
    uow: UnitOfWork, job: Job, stream: Stream, plan: _Plan, chunk: Chunk, *, low: int, high: int
) -> tuple[int | None, int]:
    """Matches for the chunk's contacts (in (low, high], or after `low` for the last chunk):
    (contacts in the chunk, or None when the scan does not count them; matches made).

    The rule is evaluated once, in SQL: the eligible ids (few: at most the chunk's matches)
    come to Python, and their matches go to the one match writer."""
    connection, now = uow.connection, uow.clock.now()
    scanned, eligible = plan.scanner.scan(
        connection,
        stream_id=stream.id,
        low=low,
        high=high,
        requalify_before=requalify_cutoff(now, stream.requalify_after_days),
        count=chunk.count,
        last=chunk.last,
    )
    made = 0
    for start in range(0, len(eligible), MATCH_BATCH):
        planned = _matches(uow, job, stream, plan, eligible[start : start + MATCH_BATCH])
        written = match_writer.write_matches(connection, planned, now=now)
        made += sum(1 for match in written if match is not None)
    return scanned, made


def _matches(
    uow: UnitOfWork, job: Job, stream: Stream, plan: _Plan, contact_ids: list[int]
) -> list[MatchToWrite]:
    """The matches of these eligible contacts, explained as the rule saw them (before their
    leads are made, which changes their `lead_stage`). A contact gone meanwhile has none.
    When the stream requalifies, rule 3 is decided here, as live matching decides it
    (`domain.matching.may_match`), with the current matches read for the supersedable ones.
    Otherwise the scan, in this transaction, brought only contacts with no current match in
    the stream, and the unique key (one current match per stream and contact) keeps one made
    meanwhile by another process from being doubled (`match_writer`): nothing is read. Reading
    them anyway was half of a broad job's time on PostgreSQL (docs/performance.md)."""
    connection, now = uow.connection, uow.clock.now()
    requalify = stream.requalify_after_days
    inputs = rule_inputs.load(
        connection,
        contact_ids,
        needs=plan.needs,
        datetime_fields=plan.vocabulary.custom_datetime_fields,
    )
    current = (
        match_writer.current_matches_of(connection, list(inputs), stream_id=stream.id)
        if requalify is not None
        else {}
    )
    trigger = {"kind": "history", "job_id": job.id}
    planned = []
    for contact_id, found in inputs.items():
        match = current.get((stream.id, contact_id))
        if not may_match(match, requalify_after_days=requalify, now=now):
            continue
        explanation = plan.explainer(found.fields, found.events, plan.as_of)
        supersedes = match.id if match is not None else None
        planned.append(
            MatchToWrite(contact_id, stream.id, Origin.HISTORY, trigger, explanation, supersedes)
        )
    return planned


def clear_stream(ctx: Context, *, stream_id: int, user_id: int | None) -> int:
    """Clear every match of an inactive stream; leads left with none leave the board (rule 7)."""
    with ctx.uow() as uow:
        stream = streams_store.get_for_update(uow.connection, stream_id)
        if stream is None:
            raise NotFound(f"no stream with id {stream_id}")
        if stream.active:
            raise Conflict("deactivate the stream before clearing its leads")
        now = uow.clock.now()
        clearing = leads_store.clear_stream(uow.connection, stream_id=stream_id, at=now)
        streams_store.append_log(
            uow.connection,
            stream_id=stream_id,
            user_id=user_id,
            action=StreamAction.CLEARED,
            changes={"matches_cleared": clearing.matches},
            at=now,
        )
        _announce_clearing(uow, stream_id, clearing, user_id=user_id)
        uow.commit()
    return clearing.matches


def _announce_clearing(
    uow: UnitOfWork, stream_id: int, clearing: leads_store.Clearing, *, user_id: int | None
) -> None:
    """A `lead.cleared` row per lead (the boards that showed it drop it or its stream's chip),
    then one `stream.changed` for the stream's counts."""
    connection, now = uow.connection, uow.clock.now()
    rows = [
        {
            "topic": Topic.LEAD_CLEARED.value,
            "lead_id": lead.lead_id,
            "payload": {
                "lead_id": lead.lead_id, "contact_id": lead.contact_id, "stream_id": stream_id,
                "left_board": lead.left_board, "by_user_id": user_id, SEEN_BY: lead.team_ids,
            },
        }
        for lead in clearing.leads
    ]  # fmt: skip
    leads_store.add_outbox_rows(connection, rows, at=now)
    teams = streams_store.team_ids(connection, stream_id)
    leads_store.announce_stream(
        connection, stream_id=stream_id, team_ids=teams, what="cleared", at=now
    )
