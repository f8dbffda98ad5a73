"""Background jobs in a table: claimed one at a time, resumable from their cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from leadstreams.store.tables import contacts, jobs

LIVE = ("queued", "running")


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    stream_id: int | None
    status: str  # queued running done failed cancelled
    params: dict[str, Any]
    cursor: int  # the last contact id done
    scanned: int
    total: int
    matches_created: int
    error: str | None
    worker: str | None
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None


class AlreadyRunning(Exception):
    """A job of this kind is queued or running for the stream already."""


def create(connection: Connection, *, values: dict[str, Any]) -> int:
    """The new job's id; `AlreadyRunning` when one of its kind is live for its stream (the
    transaction is then to be rolled back)."""
    try:
        inserted = connection.execute(insert(jobs).values(**values)).inserted_primary_key
    except IntegrityError as error:
        raise AlreadyRunning from error
    job_id: int = inserted[0]  # type: ignore[index]
    return job_id


def get(connection: Connection, job_id: int) -> Job | None:
    row = connection.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
    return Job(**row) if row is not None else None


def latest_of_kind(connection: Connection, *, kind: str) -> Job | None:
    """The most recently queued job of a kind (a score recompute: each covers every set)."""
    query = select(jobs).where(jobs.c.kind == kind).order_by(jobs.c.id.desc()).limit(1)
    row = connection.execute(query).mappings().first()
    return Job(**row) if row is not None else None


def live_for_stream(connection: Connection, *, kind: str, stream_id: int) -> bool:
    query = select(jobs.c.id).where(
        jobs.c.kind == kind, jobs.c.stream_id == stream_id, jobs.c.status.in_(LIVE)
    )
    return connection.scalar(query.limit(1)) is not None


def cancel_for_stream(connection: Connection, *, stream_id: int, at: datetime) -> None:
    connection.execute(
        update(jobs)
        .where(jobs.c.stream_id == stream_id, jobs.c.status.in_(LIVE))
        .values(status="cancelled", finished_at=at)
    )


def claim(
    connection: Connection, *, worker: str, now: datetime, stale_after: timedelta
) -> Job | None:
    """The next queued job, or a running one whose worker stopped beating (it died): ours now."""
    stale = now - stale_after
    candidate = (
        select(jobs.c.id)
        .where(
            (jobs.c.status == "queued")
            | ((jobs.c.status == "running") & (jobs.c.heartbeat_at < stale))
        )
        .order_by(jobs.c.id)
        .limit(1)
    )
    if connection.dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    job_id = connection.scalar(candidate)
    if job_id is None:
        return None
    connection.execute(
        update(jobs)
        .where(jobs.c.id == job_id)
        .values(
            status="running",
            worker=worker,
            heartbeat_at=now,
            started_at=func.coalesce(jobs.c.started_at, now),
        )
    )
    return get(connection, job_id)


def progress(connection: Connection, *, job_id: int, values: dict[str, Any]) -> None:
    connection.execute(update(jobs).where(jobs.c.id == job_id).values(**values))


def count_contacts(
    connection: Connection, *, after_id: int | None = None, up_to_id: int | None = None
) -> int:
    query = select(func.count()).select_from(contacts)
    if after_id is not None:
        query = query.where(contacts.c.id > after_id)
    if up_to_id is not None:
        query = query.where(contacts.c.id <= up_to_id)
    return connection.scalar(query) or 0


def contacts_to_scan(connection: Connection, *, exact_below: int = 100_000) -> int:
    """A fetch-history job's `total` when it is queued. Exact, except on PostgreSQL for a
    table the planner estimates at `exact_below` contacts or more: then that estimate, as
    counting every index entry of a large table costs a sixth of a fast job. The job makes
    its `total` exact when it ends."""
    if connection.dialect.name == "postgresql":
        query = text("SELECT reltuples FROM pg_class WHERE oid = 'contacts'::regclass")
        estimate = connection.scalar(query)  # -1 until the table is first analyzed
        if estimate is not None and estimate >= 0 and estimate >= exact_below:
            return int(estimate)
    return count_contacts(connection)


def max_contact_id(connection: Connection) -> int:
    return connection.scalar(select(func.max(contacts.c.id))) or 0
