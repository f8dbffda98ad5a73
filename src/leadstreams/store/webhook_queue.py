"""The webhook sender's queue: outbox rows not yet fanned out, and deliveries due to send.

Both are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several worker processes
share the work without taking the same row; SQLite has one writer at a time anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.engine import Connection

from leadstreams.store.sql import Among, insert_many, recordset, recordset_rows
from leadstreams.store.tables import (
    outbox,
    webhook_attempts,
    webhook_deliveries,
    webhook_subscriptions,
)

deliveries, subs = webhook_deliveries, webhook_subscriptions


@dataclass(frozen=True, slots=True)
class Announcement:
    """An outbox row to fan out."""

    id: int
    topic: str
    lead_id: int | None
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Due:
    """A delivery claimed for one attempt, with what the attempt needs."""

    id: int
    subscription_id: int
    message_id: str
    body: str
    attempt_count: int
    gives_up_at: datetime
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None

    def secrets(self, *, now: datetime) -> list[str]:
        """The secrets that sign now: the current one, and the previous one for a while."""
        until, previous = self.previous_secret_until, self.previous_secret
        if previous is not None and until is not None and now < until:
            return [self.secret, previous]
        return [self.secret]


def unannounced(
    connection: Connection, *, since: datetime, limit: int, lock: bool = True
) -> list[Announcement]:
    """Outbox rows written since `since` that no fan-out has taken, oldest first (`lock`:
    locked for this transaction, skipping those another one locked). Found by the absence of
    their fan-out time (by the partial index of such rows), never by "ids above the last one
    seen": a row that commits late with a lower id is found all the same."""
    query = (
        select(outbox.c.id, outbox.c.topic, outbox.c.lead_id, outbox.c.payload, outbox.c.created_at)
        .where(outbox.c.created_at >= since, _NOT_FANNED)
        .order_by(outbox.c.created_at, outbox.c.id)
        .limit(limit)
    )
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update(of=outbox, skip_locked=True)
    return [Announcement(*row) for row in connection.execute(query)]


_NOT_FANNED = outbox.c.fanned_out_at.is_(None)
_STILL_BY = select(outbox.c.id).where(Among(outbox.c.id, "ids"), _NOT_FANNED)
_STILL = {
    "sqlite": _STILL_BY,  # one writer: nobody fans out between this read and the write
    "postgresql": _STILL_BY.with_for_update(of=outbox, skip_locked=True),
}


def still_unannounced(connection: Connection, *, ids: list[int]) -> set[int]:
    """Those of these outbox rows (read before this transaction) that no fan-out has taken
    meanwhile, locked for this transaction: a row another sender is fanning out right now
    is skipped, not waited for (it takes it)."""
    if not ids:
        return set()
    return set(connection.scalars(_STILL[connection.dialect.name], {"ids": ids}))


def any_unannounced(connection: Connection, *, since: datetime) -> bool:
    """A cheap read before the write transaction: an idle sender takes no write lock."""
    query = select(outbox.c.id).where(outbox.c.created_at >= since, _NOT_FANNED).limit(1)
    return connection.scalar(query) is not None


def any_due(connection: Connection, *, now: datetime) -> bool:
    query = (
        select(deliveries.c.id)
        .where(
            deliveries.c.status == "pending",
            deliveries.c.next_attempt_at <= now,
            or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now),
        )
        .limit(1)
    )
    return connection.scalar(query) is not None


def add_deliveries(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """One delivery per (subscription, outbox row): a second fan-out of a row adds nothing."""
    insert_many(connection, deliveries, rows)


def mark_announced(
    connection: Connection, *, ids: list[int], bodies: dict[int, str], at: datetime
) -> None:
    """These outbox rows fanned out at `at`, with the body their deliveries send (by outbox
    row id; a row that made no delivery has none)."""
    rows = [{"id": k, "fanned_out_at": at, "webhook_body": bodies.get(k)} for k in ids]
    if not rows:
        return
    if connection.dialect.name == "postgresql":  # one statement, the rows one JSON parameter
        connection.execute(_MARK_BY_RECORDSET, recordset_rows(rows))
    else:
        connection.execute(_MARK, [{"b_" + k: v for k, v in row.items()} for row in rows])


# Parameters named apart from the columns: SQLAlchemy keeps a column's own name for its SET.
_MARK = (
    update(outbox)
    .where(outbox.c.id == bindparam("b_id"))
    .values(fanned_out_at=bindparam("b_fanned_out_at"), webhook_body=bindparam("b_webhook_body"))
)
_BATCH = recordset(outbox, ["id", "fanned_out_at", "webhook_body"])
_MARK_BY_RECORDSET = (
    update(outbox)
    .where(outbox.c.id == _BATCH.c.id)
    .values(fanned_out_at=_BATCH.c.fanned_out_at, webhook_body=_BATCH.c.webhook_body)
)


# Built once: a sender runs these every turn, and building a statement (and its cache key)
# cost more than SQLite took to run it. Lists are expanding parameters.
_FREE = or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < bindparam("now"))
_CANDIDATES = (
    select(deliveries.c.id)
    .join(subs, subs.c.id == deliveries.c.subscription_id)
    .where(
        deliveries.c.status == "pending",
        deliveries.c.next_attempt_at <= bindparam("now"),
        _FREE,
        subs.c.active.is_(True),
        deliveries.c.subscription_id.not_in(bindparam("skip", expanding=True)),
    )
    .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
    .limit(bindparam("limit"))
)


def _claim(candidates: Any) -> Any:
    return (
        update(deliveries)
        .where(deliveries.c.id.in_(candidates.scalar_subquery()))
        .values(lease_owner=bindparam("owner"), lease_until=bindparam("lease_until"))
        .returning(
            deliveries.c.id,
            deliveries.c.subscription_id,
            deliveries.c.message_id,
            deliveries.c.outbox_id,
            deliveries.c.attempt_count,
            deliveries.c.gives_up_at,
            deliveries.c.next_attempt_at,
        )
    )


_CLAIM = {
    "sqlite": _claim(_CANDIDATES),
    "postgresql": _claim(_CANDIDATES.with_for_update(of=deliveries, skip_locked=True)),
}
# A delivery's body is its outbox row's, kept once by the fan-out (read apart from the claim:
# SQLite's RETURNING cannot name another table, and leaves a subquery's columns unqualified).
_BODIES = select(outbox.c.id, outbox.c.webhook_body).where(Among(outbox.c.id, "ids"))
_SIGNERS = select(
    subs.c.id, subs.c.url, subs.c.secret, subs.c.previous_secret, subs.c.previous_secret_until
).where(subs.c.id.in_(bindparam("ids", expanding=True)))


def claim_due(
    connection: Connection,
    *,
    now: datetime,
    lease_until: datetime,
    owner: str,
    limit: int,
    skip_subscriptions: list[int],
) -> list[Due]:
    """Pending deliveries of active subscriptions that are due and not leased to a live
    sender: leased to `owner` until `lease_until`, oldest due first. `skip_subscriptions`
    have enough in flight here already (one slow receiver does not take every slot)."""
    claimed = connection.execute(
        _CLAIM[connection.dialect.name],
        {"now": now, "skip": skip_subscriptions, "limit": limit, "owner": owner,
         "lease_until": lease_until},
    ).all()  # fmt: skip
    if not claimed:
        return []
    sub_ids = sorted({row.subscription_id for row in claimed})
    signers = {row.id: row[1:] for row in connection.execute(_SIGNERS, {"ids": sub_ids})}
    outbox_ids = sorted({row.outbox_id for row in claimed})
    bodies = {row.id: row.webhook_body for row in connection.execute(_BODIES, {"ids": outbox_ids})}
    in_order = sorted(claimed, key=lambda row: (row.next_attempt_at, row.id))
    return [
        Due(row.id, row.subscription_id, row.message_id, bodies[row.outbox_id],
            row.attempt_count, row.gives_up_at, *signers[row.subscription_id])
        for row in in_order
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeliveryUpdate:
    """A delivery's new state after an attempt. Equal ones (most often: delivered, 200, at
    one time) are written by one statement for all their deliveries."""

    status: str
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status_code: int | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One request to a receiver, as the delivery log shows it."""

    delivery_id: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    answer: str | None  # the first 1 KB


# Only a delivery still leased to this sender is written: one that outlived its lease must not
# overwrite what another sender recorded (on PostgreSQL the row lock the UPDATE takes makes it
# re-check the owner after a concurrent write).
_RECORD = (
    update(deliveries)
    .where(
        deliveries.c.id.in_(bindparam("ids", expanding=True)),
        deliveries.c.lease_owner == bindparam("owner"),
    )
    .values(
        attempt_count=deliveries.c.attempt_count + 1,
        lease_owner=None,
        lease_until=None,
        status=bindparam("status"),
        next_attempt_at=bindparam("next_attempt_at"),
        delivered_at=bindparam("delivered_at"),
        last_status_code=bindparam("last_status_code"),
    )
    .returning(deliveries.c.id)
)


def record_attempts(
    connection: Connection, *, owner: str, attempts: list[tuple[Attempt, DeliveryUpdate]]
) -> set[int]:
    """Each attempt, and its delivery's new state, for the deliveries `owner` still holds
    the lease of: their ids. One UPDATE per distinct new state, one INSERT for the log."""
    ids_by_update: dict[DeliveryUpdate, list[int]] = {}
    for attempt, new in attempts:
        ids_by_update.setdefault(new, []).append(attempt.delivery_id)
    kept: set[int] = set()
    for new, ids in ids_by_update.items():
        values = {"ids": ids, "owner": owner, "status": new.status,
                  "next_attempt_at": new.next_attempt_at, "delivered_at": new.delivered_at,
                  "last_status_code": new.last_status_code}  # fmt: skip
        kept.update(connection.scalars(_RECORD, values))
    logged = [
        {"delivery_id": a.delivery_id, "at": a.at, "status_code": a.status_code,
         "error": a.error, "duration_ms": a.duration_ms, "answer": a.answer}
        for a, _ in attempts
        if a.delivery_id in kept
    ]  # fmt: skip
    insert_many(connection, webhook_attempts, logged)
    return kept


def release(connection: Connection, *, owner: str, ids: list[int]) -> None:
    """Give back claimed deliveries that were not sent: another sender may take them now."""
    if ids:
        connection.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(ids), deliveries.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )


def disable_subscription(
    connection: Connection, *, subscription_id: int, reason: str, at: datetime
) -> None:
    connection.execute(
        update(subs)
        .where(subs.c.id == subscription_id)
        .values(active=False, disabled_reason=reason, updated_at=at)
    )


@dataclass(frozen=True, slots=True)
class Listener:
    """A subscription as the fan-out matches outbox rows to it. Paused ones too: what
    happens while a subscription is paused waits, and is sent when it resumes."""

    id: int
    events: list[str]
    team_id: int | None
    created_at: datetime


def listeners(connection: Connection) -> list[Listener]:
    query = select(subs.c.id, subs.c.events, subs.c.team_id, subs.c.created_at)
    return [Listener(*row) for row in connection.execute(query)]
