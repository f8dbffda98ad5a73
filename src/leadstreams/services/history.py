"""Fetch history (rule 6) as a resumable job, and clearing a stream's leads (rule 7)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from leadstreams.domain.matching import Origin, may_match, requalify_cutoff
from leadstreams.domain.streams import StreamAction
from leadstreams.errors import Conflict, NotFound
from leadstreams.rules import Explainer, parse, reads
from leadstreams.rules.compile_sql import to_sql
from leadstreams.rules.fields import Vocabulary
from leadstreams.services.context import Context
from leadstreams.store import fields as fields_store
from leadstreams.store import history as history_store
from leadstreams.store import jobs as jobs_store
from leadstreams.store import leads as leads_store
from leadstreams.store import match_writer, rule_inputs
from leadstreams.store import streams as streams_store
from leadstreams.store.match_writer import MatchToWrite
from leadstreams.store.rule_columns import sql_columns
from leadstreams.store.streams import Stream
from leadstreams.store.uow import UnitOfWork

log = logging.getLogger(__name__)
FETCH_HISTORY = "fetch_history"


def start_fetch_history(ctx: Context, *, stream_id: int, user_id: int | None) -> dict[str, Any]:
    """Queue the job; 409 while the stream is inactive or while one runs for it."""
    with ctx.uow() as uow:
        stream = streams_store.get_for_update(uow.connection, stream_id)
        if stream is None:
            raise NotFound(f"no stream with id {stream_id}")
        if not stream.active:
            raise Conflict("fetch history needs the stream to be active")
        if jobs_store.live_for_stream(uow.connection, kind=FETCH_HISTORY, stream_id=stream_id):
            raise Conflict("a fetch-history job is already running for this stream")
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
        except IntegrityError as error:  # another request queued one a moment ago
            raise Conflict("a fetch-history job is already running for this stream") from error
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


def get_job(ctx: Context, *, job_id: int) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return job_read(jobs_store.get(uow.connection, job_id))


def job_read(row: RowMapping | None) -> dict[str, Any]:
    if row is None:
        raise NotFound("no such job")
    names = ("id", "kind", "stream_id", "status", "scanned", "total", "matches_created", "error")
    return {name: row[name] for name in names} | {
        "created_at": row["created_at"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
    }


def _never() -> bool:
    return False


@dataclass(frozen=True)
class _Plan:
    """What every chunk of one run needs, read and compiled once: the job's pinned rule."""

    condition: ColumnElement[bool]
    vocabulary: Vocabulary
    as_of: datetime  # windows are measured from the job's start
    needs: rule_inputs.Needs  # what explaining a match reads of its contact
    explainer: Explainer
    scans: dict[tuple[int, bool, bool, bool], Select[Any]] = field(default_factory=dict)

    def scan(self, stream_id: int, *, count: bool, requalify: bool, last: bool) -> Select[Any]:
        """The chunk's scan, built once per run and kind (the stream's requalification
        period may be set or unset between two chunks)."""
        key = (stream_id, count, requalify, last)
        if key not in self.scans:
            self.scans[key] = history_store.scan_statement(
                stream_id=stream_id,
                rule=self.condition,
                count=count,
                requalify=requalify,
                last=last,
            )
        return self.scans[key]


def _plan(connection: Connection, job: RowMapping, stream: Stream) -> _Plan:
    as_of = datetime.fromisoformat(job["params"]["now"])
    vocabulary = fields_store.vocabulary(connection)
    rule = parse(job["params"].get("rules", stream.rules), vocabulary)
    return _Plan(
        to_sql(rule, sql_columns(vocabulary), now=as_of),
        vocabulary,
        as_of,
        rule_inputs.Needs.of([reads(rule)], as_of),
        Explainer(rule, vocabulary),
    )


# A chunk is sized for its transaction to take about `fetch_history_chunk_seconds`, from how
# long the one before took; it grows at most this many times over from one chunk to the next.
MAX_GROWTH = 8


def next_chunk_size(size: int, seconds: float, *, least: int, budget: float) -> int:
    """The next chunk's size, from how long a chunk of `size` contacts took: grown while
    chunks finish well under the budget (at most MAX_GROWTH times over), shrunk when one took
    longer, never under `least` (the configured chunk). A budget of 0 keeps every chunk at
    `least`. The time of a chunk includes its fixed work, so a small chunk's rate is
    underestimated, never over."""
    if budget <= 0:
        return least
    grown = size * MAX_GROWTH if seconds * MAX_GROWTH <= budget else int(size * budget / seconds)
    return max(least, grown)


def run_fetch_history(
    ctx: Context,
    job: RowMapping,
    should_stop: Callable[[], bool] = _never,
    *,
    timer: Callable[[], float] = time.perf_counter,
) -> str:
    """Work a claimed job chunk by chunk, one transaction each; returns its final status.

    Progress (the cursor) commits with each chunk, so a job taken over after a crash resumes
    where the last committed chunk ended, and makes nothing twice (the unique keys see to it).
    A worker that is asked to stop puts the job back in the queue after the chunk in hand.
    The rule is parsed and compiled once per run (the job pins it), not once per chunk.
    The first chunk has `fetch_history_chunk` contacts; the next ones are sized by how long
    the last one took (`next_chunk_size`), so that a large table needs few chunks (few
    statements, and on PostgreSQL sequential scans rather than primary-key ranges) while
    each transaction stays within `fetch_history_chunk_seconds`.
    """
    started = time.monotonic()
    cursor = job["cursor"]
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
    log.info("fetch history job %s for stream %s: %s", job["id"], job["stream_id"], status)
    return status


def _requeue(ctx: Context, job: RowMapping) -> str:
    with ctx.uow() as uow:
        current = jobs_store.get(uow.connection, job["id"])
        if current is not None and current["status"] == "running":
            jobs_store.progress(uow.connection, job_id=job["id"], values={"status": "queued"})
        uow.commit()
    return "queued"


def _chunk(
    ctx: Context, job: RowMapping, cursor: int, plan: _Plan | None, size: int
) -> tuple[str, int, _Plan | None]:
    """One chunk of about `size` contacts after `cursor`, in one transaction; the last one
    also ends the job. Returns the job's status, the new cursor and the run's plan."""
    with ctx.uow() as uow:
        connection = uow.connection
        current = jobs_store.get(connection, job["id"])
        stream = streams_store.get(connection, job["stream_id"])
        if current is None or current["status"] != "running":
            return (current["status"] if current else "cancelled"), cursor, plan
        now = uow.clock.now()
        if stream is None or not stream.active:
            jobs_store.progress(
                connection, job_id=job["id"], values={"status": "cancelled", "finished_at": now}
            )
            uow.commit()
            return "cancelled", cursor, plan
        last_id = jobs_store.max_contact_id(connection)
        if cursor >= last_id:  # no contacts, or none left since the job was stopped
            _finish(uow, current, stream, now, scanned=current["scanned"], made=0)
            uow.commit()
            return "done", cursor, plan
        if plan is None:
            plan = _plan(connection, job, stream)
        high = min(cursor + size, last_id)
        # Half a chunk or less would be left: take it too (one statement less, and on
        # PostgreSQL the sequential scan it chooses for a large share of the table, where a
        # primary-key range of a smaller one costs about 1.6 times as much per contact).
        if last_id - high <= size // 2:
            high = last_id
        last = high == last_id
        # Counted chunk by chunk (counting from the first contact each time grew
        # quadratically), in the statement that evaluates the rule on the chunk; but the
        # last chunk on SQLite leaves its contacts to a count of the whole table, which
        # SQLite reads off the table's b-tree, while counting them row by row in the scan
        # cost a fifth of it.
        count = not (last and history_store.counts_tables_at_once(connection))
        scanned, made = _match_chunk(
            uow, job, stream, plan, low=cursor, high=high, count=count, last=last
        )
        if last:
            if scanned is None:
                total = jobs_store.count_contacts(connection)
            else:
                total = current["scanned"] + scanned
            _finish(uow, current, stream, now, scanned=total, made=made, cursor=high)
        else:
            assert scanned is not None
            scanned += current["scanned"]
            values = {
                "cursor": high,
                "scanned": scanned,
                "total": max(current["total"], scanned),  # an estimate may have been low
                "matches_created": current["matches_created"] + made,
                "heartbeat_at": now,
            }
            jobs_store.progress(connection, job_id=job["id"], values=values)
        uow.commit()
    ctx.metrics.matches_created.labels("history").inc(made)
    return ("done" if last else "running"), high, plan


def _finish(
    uow: UnitOfWork,
    job: RowMapping,
    stream: Stream,
    now: datetime,
    *,
    scanned: int,
    made: int,
    cursor: int | None = None,
) -> None:
    """The job is done, every contact scanned: `scanned`, the total, and `made` more
    matches (those of its last chunk, which ends it in the same transaction)."""
    connection = uow.connection
    matches_created = job["matches_created"] + made
    values = {
        "status": "done",
        "finished_at": now,
        "scanned": scanned,
        "total": scanned,
        "matches_created": matches_created,
    }
    if cursor is not None:
        values |= {"cursor": cursor, "heartbeat_at": now}
    jobs_store.progress(connection, job_id=job["id"], values=values)
    streams_store.update_values(connection, stream_id=stream.id, values={"history_fetched_at": now})
    streams_store.append_log(
        connection,
        stream_id=stream.id,
        user_id=job["params"].get("user_id"),
        action=StreamAction.FETCH_HISTORY_DONE,
        changes={"job_id": job["id"], "matches_created": matches_created},
        at=now,
    )


def _match_chunk(
    uow: UnitOfWork,
    job: RowMapping,
    stream: Stream,
    plan: _Plan,
    *,
    low: int,
    high: int,
    count: bool = True,
    last: bool = False,
) -> tuple[int | None, int]:
    """Matches for contacts in (low, high] (after `low` for the `last` chunk), with rules 3
    and 4 done in SQL: (contacts in the chunk, or None when not asked to `count` them;
    matches made).

    The rule is evaluated once: the eligible ids (few: at most the chunk's matches) come to
    Python, and the leads and matches are made for exactly those ids."""
    connection = uow.connection
    now = uow.clock.now()
    cutoff = requalify_cutoff(now, stream.requalify_after_days)
    scanned, eligible = history_store.scan_chunk(
        connection,
        plan.scan(stream.id, count=count, requalify=cutoff is not None, last=last),
        low=low,
        high=high,
        requalify_before=cutoff,
    )
    made = 0
    for start in range(0, len(eligible), MATCH_BATCH):
        planned = _matches(uow, job, stream, plan, eligible[start : start + MATCH_BATCH])
        written = match_writer.write_matches(connection, planned, now=now)
        made += sum(1 for match in written if match is not None)
    return scanned, made


MATCH_BATCH = 1_000  # contacts explained and matched at a time: bounds the events in memory


def _matches(
    uow: UnitOfWork, job: RowMapping, stream: Stream, plan: _Plan, contact_ids: list[int]
) -> list[MatchToWrite]:
    """The matches of these eligible contacts, explained as the rule saw them (before their
    leads are made, which changes their `lead_stage`). A contact gone meanwhile has none.
    Rule 3 is checked again as live matching checks it: the scan stated it in SQL."""
    connection, now = uow.connection, uow.clock.now()
    requalify = stream.requalify_after_days
    inputs = rule_inputs.load(
        connection,
        contact_ids,
        needs=plan.needs,
        datetime_fields=plan.vocabulary.custom_datetime_fields,
    )
    current = match_writer.current_matches_of(connection, list(inputs)) if requalify else {}
    trigger = {"kind": "history", "job_id": job["id"]}
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
        cleared = leads_store.clear_stream(uow.connection, stream_id=stream_id, at=now)
        streams_store.append_log(
            uow.connection,
            stream_id=stream_id,
            user_id=user_id,
            action=StreamAction.CLEARED,
            changes={"matches_cleared": cleared},
            at=now,
        )
        uow.commit()
    return cleared
