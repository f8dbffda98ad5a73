"""Webhook subscriptions, and the delivery log as the API and the page read it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from leadstreams.store.tables import webhook_attempts, webhook_deliveries, webhook_subscriptions

subs, deliveries, attempts = webhook_subscriptions, webhook_deliveries, webhook_attempts


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    url: str
    events: list[str]
    team_id: int | None
    active: bool
    disabled_reason: str | None
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SubscriptionHealth:
    """What the page shows beside a subscription: is it failing?"""

    pending: int
    failed: int
    retrying: int  # pending after at least one failed attempt
    last_status: str | None  # of the latest delivery attempted at least once

    @property
    def failing(self) -> bool:
        return self.retrying > 0 or self.last_status == "failed"


@dataclass(frozen=True, slots=True)
class Attempt:
    delivery_id: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    answer: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    subscription_id: int
    message_id: str
    topic: str
    lead_id: int | None
    status: str
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


def create(connection: Connection, *, values: dict[str, Any]) -> int:
    inserted = connection.execute(insert(subs).values(**values)).inserted_primary_key
    return int(inserted[0])  # type: ignore[index]


def get(connection: Connection, *, subscription_id: int) -> Subscription | None:
    row = connection.execute(select(subs).where(subs.c.id == subscription_id)).mappings().first()
    return Subscription(**row) if row is not None else None


def all_subscriptions(connection: Connection) -> list[Subscription]:
    rows = connection.execute(select(subs).order_by(subs.c.id)).mappings()
    return [Subscription(**row) for row in rows]


def update_subscription(
    connection: Connection, *, subscription_id: int, values: dict[str, Any]
) -> None:
    connection.execute(update(subs).where(subs.c.id == subscription_id).values(**values))


def delete_subscription(connection: Connection, *, subscription_id: int) -> None:
    connection.execute(delete(subs).where(subs.c.id == subscription_id))


def health(connection: Connection) -> dict[int, SubscriptionHealth]:
    """Per subscription with deliveries: how many wait, failed, are being retried, and how
    its latest attempted delivery ended."""
    pending = deliveries.c.status == "pending"
    counts = (
        select(
            deliveries.c.subscription_id.label("sub"),
            func.sum(case((pending, 1), else_=0)).label("pending"),
            func.sum(case((deliveries.c.status == "failed", 1), else_=0)).label("failed"),
            func.sum(case((pending & (deliveries.c.attempt_count > 0), 1), else_=0)).label("retry"),
            func.max(case((deliveries.c.attempt_count > 0, deliveries.c.id))).label("last"),
        )
        .group_by(deliveries.c.subscription_id)
        .subquery()
    )
    last = select(deliveries.c.status).where(deliveries.c.id == counts.c.last).scalar_subquery()
    query = select(counts.c.sub, counts.c.pending, counts.c.failed, counts.c.retry, last)
    return {
        sub: SubscriptionHealth(int(p or 0), int(f or 0), int(r or 0), status)
        for sub, p, f, r, status in connection.execute(query)
    }


_DELIVERY = tuple(deliveries.c[field.name] for field in fields(Delivery))


def deliveries_of(
    connection: Connection,
    *,
    subscription_id: int,
    status: str | None,
    before_id: int | None,
    limit: int,
) -> list[Delivery]:
    """Newest first, `limit` of them, below `before_id` (the cursor)."""
    query = select(*_DELIVERY).where(deliveries.c.subscription_id == subscription_id)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if before_id is not None:
        query = query.where(deliveries.c.id < before_id)
    rows = connection.execute(query.order_by(deliveries.c.id.desc()).limit(limit))
    return [Delivery(*row) for row in rows]


def get_delivery(
    connection: Connection, *, subscription_id: int, delivery_id: int
) -> Delivery | None:
    query = select(*_DELIVERY).where(
        and_(deliveries.c.id == delivery_id, deliveries.c.subscription_id == subscription_id)
    )
    row = connection.execute(query).first()
    return Delivery(*row) if row is not None else None


def attempts_of(connection: Connection, *, delivery_ids: list[int]) -> list[Attempt]:
    if not delivery_ids:
        return []
    query = (
        select(
            attempts.c.delivery_id,
            attempts.c.at,
            attempts.c.status_code,
            attempts.c.error,
            attempts.c.duration_ms,
            attempts.c.answer,
        )
        .where(attempts.c.delivery_id.in_(delivery_ids))
        .order_by(attempts.c.id)
    )
    return [Attempt(*row) for row in connection.execute(query)]


def send_again(
    connection: Connection, *, delivery_id: int, now: datetime, gives_up_at: datetime
) -> None:
    """Pending again, due now, with a fresh retry window; its message id stays."""
    connection.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            status="pending",
            next_attempt_at=now,
            gives_up_at=gives_up_at,
            lease_owner=None,
            lease_until=None,
        )
    )
