"""Fetch history (rule 6) as a resumable job, and clearing a stream's leads (rule 7)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from leadstreams.errors import Conflict, NotFound
from leadstreams.rules import Rule, explain, parse, reads
from leadstreams.rules.compile_sql import to_sql
from leadstreams.rules.fields import Vocabulary
from leadstreams.services.context import Context
from leadstreams.store import contacts as contacts_store
from leadstreams.store import events as events_store
from leadstreams.store import fields as fields_store
from leadstreams.store import history as history_store
from leadstreams.store import jobs as jobs_store
from leadstreams.store import leads as leads_store
from leadstreams.store import streams as streams_store
from leadstreams.store.rule_columns import sql_columns
from leadstreams.store.uow import UnitOfWork

log = logging.getLogger(__name__)
FETCH_HISTORY = "fetch_history"


def start_fetch_history(ctx: Context, *, stream_id: int, user_id: int | None) -> dict[str, Any]:
    """Queue the job; 409 while the stream is inactive or while one runs for it."""
    with ctx.uow() as uow:
        stream = streams_store.get_for_update(uow.connection, stream_id)
        if stream is None:
            raise NotFound(f"no stream with id {stream_id}")
        if not stream["active"]:
            raise Conflict("fetch history needs the stream to be active")
        if jobs_store.live_for_stream(uow.connection, kind=FETCH_HISTORY, stream_id=stream_id):
            raise Conflict("a fetch-history job is already running for this stream")
        now = uow.clock.now()
        values = {
            "kind": FETCH_HISTORY,
            "stream_id": stream_id,
            "status": "queued",
            # The rules as they are now: an edit during the job applies to live changes only.
            "params": {"now": now.isoformat(), "rules": stream["rules"], "user_id": user_id},
            "total": jobs_store.count_contacts(uow.connection),
            "created_at": now,
        }
        try:
            job_id = jobs_store.create(uow.connection, values=values)
        except IntegrityError as error:  # another request queued one a moment ago
            raise Conflict("a fetch-history job is already running for this stream") from error
        streams_store.record(
            uow.connection,
            stream_id=stream_id,
            user_id=user_id,
            action="fetch_history_started",
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

    rule: Rule
    condition: ColumnElement[bool]
    vocabulary: Vocabulary
    as_of: datetime  # windows are measured from the job's start
    event_types: frozenset[str]
    events_since: datetime | None  # the oldest event an explanation needs (as live matching)


def _plan(connection: Connection, job: RowMapping, stream: RowMapping) -> _Plan:
    as_of = datetime.fromisoformat(job["params"]["now"])
    vocabulary = fields_store.vocabulary(connection)
    rule = parse(job["params"].get("rules", stream["rules"]), vocabulary)
    condition = to_sql(rule, sql_columns(vocabulary), now=as_of)
    read = reads(rule)
    return _Plan(rule, condition, vocabulary, as_of, read.event_types, read.events_since(as_of))


def run_fetch_history(
    ctx: Context, job: RowMapping, should_stop: Callable[[], bool] = _never
) -> str:
    """Work a claimed job chunk by chunk, one transaction each; returns its final status.

    Progress (the cursor) commits with each chunk, so a job taken over after a crash resumes
    where the last committed chunk ended, and makes nothing twice (the unique keys see to it).
    A worker that is asked to stop puts the job back in the queue after the chunk in hand.
    The rule is parsed and compiled once per run (the job pins it), not once per chunk.
    """
    started = time.monotonic()
    cursor = job["cursor"]
    status = "running"
    plan: _Plan | None = None
    while status == "running":
        if should_stop():
            status = _requeue(ctx, job)
            break
        status, cursor, plan = _chunk(ctx, job, cursor, plan)
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
    ctx: Context, job: RowMapping, cursor: int, plan: _Plan | None
) -> tuple[str, int, _Plan | None]:
    with ctx.uow() as uow:
        connection = uow.connection
        current = jobs_store.get(connection, job["id"])
        stream = streams_store.get(connection, job["stream_id"])
        if current is None or current["status"] != "running":
            return (current["status"] if current else "cancelled"), cursor, plan
        now = uow.clock.now()
        if stream is None or not stream["active"]:
            jobs_store.progress(
                connection, job_id=job["id"], values={"status": "cancelled", "finished_at": now}
            )
            uow.commit()
            return "cancelled", cursor, plan
        last_id = jobs_store.max_contact_id(connection)
        if cursor >= last_id:
            _finish(uow, current, stream, now)  # current: its matches_created is up to date
            uow.commit()
            return "done", cursor, plan
        if plan is None:
            plan = _plan(connection, job, stream)
        high = min(cursor + ctx.settings.fetch_history_chunk, last_id)
        # Counted chunk by chunk (counting from the first contact each time grew
        # quadratically), in the statement that evaluates the rule on the chunk.
        scanned, made = _match_chunk(uow, job, stream, plan, low=cursor, high=high)
        values = {
            "cursor": high,
            "scanned": current["scanned"] + scanned,
            "matches_created": current["matches_created"] + made,
            "heartbeat_at": now,
        }
        jobs_store.progress(connection, job_id=job["id"], values=values)
        uow.commit()
    ctx.metrics.matches_created.labels("history").inc(made)
    return "running", high, plan


def _finish(uow: UnitOfWork, job: RowMapping, stream: RowMapping, now: datetime) -> None:
    connection = uow.connection
    total = jobs_store.count_contacts(connection)
    values = {"status": "done", "finished_at": now, "scanned": total, "total": total}
    jobs_store.progress(connection, job_id=job["id"], values=values)
    streams_store.update_values(
        connection, stream_id=stream["id"], values={"history_fetched_at": now}
    )
    streams_store.record(
        connection,
        stream_id=stream["id"],
        user_id=job["params"].get("user_id"),
        action="fetch_history_done",
        changes={"job_id": job["id"], "matches_created": job["matches_created"]},
        at=now,
    )


def _match_chunk(
    uow: UnitOfWork, job: RowMapping, stream: RowMapping, plan: _Plan, *, low: int, high: int
) -> tuple[int, int]:
    """Matches for contacts in (low, high], with rules 3 and 4 done in SQL: (contacts in the
    chunk, matches made).

    The rule is evaluated once: the eligible ids (few: at most the chunk's matches) come to
    Python, and the leads and matches are made for exactly those ids."""
    connection = uow.connection
    now = uow.clock.now()
    requalify = stream["requalify_after_days"]
    requalify_before = now - timedelta(days=requalify) if requalify else None
    scanned, eligible = history_store.scan_chunk(
        connection,
        stream_id=stream["id"],
        rule=plan.condition,
        low=low,
        high=high,
        requalify_before=requalify_before,
    )
    if not eligible:
        return scanned, 0
    if requalify_before is not None:
        history_store.supersede_requalifying(
            connection,
            stream_id=stream["id"],
            contact_ids=eligible,
            requalify_before=requalify_before,
            now=now,
        )
    created = history_store.create_leads(connection, contact_ids=eligible, now=now)
    new_leads = {lead_id for lead_id, _ in created}
    trigger = {"kind": "history", "job_id": job["id"]}
    made = history_store.add_matches(
        connection, stream_id=stream["id"], contact_ids=eligible, trigger=trigger, now=now
    )
    _explain(uow, plan, made, new_leads)
    history_store.add_outbox_rows(
        connection,
        rows=[
            {
                "topic": "lead.created" if lead_id in new_leads else "lead.matched",
                "lead_id": lead_id,
                "payload": {
                    "lead_id": lead_id,
                    "stream_id": stream["id"],
                    "contact_id": contact_id,
                    "origin": "history",
                },
                "created_at": now,
            }
            for _, contact_id, lead_id in made
        ],
    )
    return scanned, len(made)


EXPLAIN_BATCH = 1_000  # matches explained per round of queries: bounds the events in memory


def _explain(uow: UnitOfWork, plan: _Plan, made: list[Any], new_leads: set[int]) -> None:
    """Explanations for the matches made: work grows with matches, not with contacts, in
    three queries per batch of matches. The contacts are seen as the rule saw them: before
    this chunk made their new leads."""
    connection = uow.connection
    explanations = {}
    for start in range(0, len(made), EXPLAIN_BATCH):
        batch = made[start : start + EXPLAIN_BATCH]
        ids = {contact_id for _, contact_id, _ in batch}
        rows = contacts_store.get_many(connection, ids)
        stages = contacts_store.lead_stages(connection, ids, before_leads=new_leads)
        events = events_store.for_rules_of(
            connection, contact_ids=ids, types=plan.event_types, since=plan.events_since
        )
        for match_id, contact_id, _ in batch:
            fields = contacts_store.rule_fields(
                rows[contact_id], stages[contact_id], plan.vocabulary.custom_datetime_fields
            )
            explanations[match_id] = explain(
                plan.rule, fields, events[contact_id], plan.as_of, plan.vocabulary
            )
    history_store.set_explanations(connection, explanations=explanations)


def clear_stream(ctx: Context, *, stream_id: int, user_id: int | None) -> int:
    """Clear every match of an inactive stream; leads left with none leave the board (rule 7)."""
    with ctx.uow() as uow:
        stream = streams_store.get_for_update(uow.connection, stream_id)
        if stream is None:
            raise NotFound(f"no stream with id {stream_id}")
        if stream["active"]:
            raise Conflict("deactivate the stream before clearing its leads")
        now = uow.clock.now()
        cleared = leads_store.clear_stream(uow.connection, stream_id=stream_id, at=now)
        streams_store.record(
            uow.connection,
            stream_id=stream_id,
            user_id=user_id,
            action="cleared",
            changes={"matches_cleared": cleared},
            at=now,
        )
        uow.commit()
    return cleared
