"""Webhook subscriptions: create, change, pause, rotate the secret, read the delivery log and
send a delivery again (api.md: /webhooks). The sending is `services/webhook_sender.py`."""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta

from leadstreams.delivery.targets import resolve
from leadstreams.domain.webhooks import DeliveryStatus, UnsafeTarget
from leadstreams.errors import InvalidInput, NotFound
from leadstreams.schemas.webhooks import (
    SECRET_PREFIX,
    AttemptRead,
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookSecret,
    WebhookUpdate,
)
from leadstreams.services.context import Context
from leadstreams.store import users as users_store
from leadstreams.store import webhooks as store
from leadstreams.store.uow import UnitOfWork
from leadstreams.store.webhooks import Delivery, Subscription, SubscriptionHealth

# After a rotation the previous secret signs too for this long, so receivers can switch.
ROTATION_OVERLAP = timedelta(hours=24)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def create_subscription(ctx: Context, *, data: WebhookCreate) -> WebhookCreated:
    _check_url(ctx, data.url)
    secret = data.secret or new_secret()
    with ctx.uow() as uow:
        _check_team(uow, data.team_id)
        now = uow.clock.now()
        subscription_id = store.create(
            uow.connection,
            values={
                "url": data.url,
                "events": [str(event) for event in data.events],
                "team_id": data.team_id,
                "active": data.active,
                "secret": secret,
                "created_at": now,
                "updated_at": now,
            },
        )
        created = _read(_get(uow, subscription_id), None)
        uow.commit()
    return WebhookCreated(**created.model_dump(), secret=secret)


def list_subscriptions(ctx: Context) -> list[WebhookRead]:
    with ctx.uow(read_only=True) as uow:
        health = store.health(uow.connection)
        return [_read(s, health.get(s.id)) for s in store.all_subscriptions(uow.connection)]


def get_subscription(ctx: Context, *, subscription_id: int) -> WebhookRead:
    with ctx.uow(read_only=True) as uow:
        return _read(_get(uow, subscription_id), store.health(uow.connection).get(subscription_id))


def update_subscription(ctx: Context, *, subscription_id: int, data: WebhookUpdate) -> WebhookRead:
    given = data.model_dump(exclude_unset=True)
    if given.get("url") is not None:
        _check_url(ctx, given["url"])
    with ctx.uow() as uow:
        _get(uow, subscription_id)
        if "team_id" in given:
            _check_team(uow, given["team_id"])
        values = {
            key: value for key, value in given.items() if value is not None or key == "team_id"
        }
        if "events" in values:
            values["events"] = [str(event) for event in values["events"]]
        if values.get("active"):
            values["disabled_reason"] = None  # resumed by hand
        values["updated_at"] = uow.clock.now()
        store.update_subscription(uow.connection, subscription_id=subscription_id, values=values)
        changed = _read(
            _get(uow, subscription_id), store.health(uow.connection).get(subscription_id)
        )
        uow.commit()
    return changed


def delete_subscription(ctx: Context, *, subscription_id: int) -> None:
    with ctx.uow() as uow:
        _get(uow, subscription_id)
        store.delete_subscription(uow.connection, subscription_id=subscription_id)
        uow.commit()


def rotate_secret(ctx: Context, *, subscription_id: int) -> WebhookSecret:
    """A new secret, shown this once; the one it replaces signs too for ROTATION_OVERLAP."""
    secret = new_secret()
    with ctx.uow() as uow:
        current = _get(uow, subscription_id)
        now = uow.clock.now()
        until = now + ROTATION_OVERLAP
        store.update_subscription(
            uow.connection,
            subscription_id=subscription_id,
            values={
                "secret": secret,
                "previous_secret": current.secret,
                "previous_secret_until": until,
                "updated_at": now,
            },
        )
        uow.commit()
    return WebhookSecret(secret=secret, previous_valid_until=until)


def list_deliveries(
    ctx: Context,
    *,
    subscription_id: int,
    status: DeliveryStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> DeliveryPage:
    with ctx.uow(read_only=True) as uow:
        return read_deliveries(
            uow, subscription_id=subscription_id, status=status, cursor=cursor, limit=limit
        )


def read_deliveries(
    uow: UnitOfWork,
    *,
    subscription_id: int,
    status: DeliveryStatus | None,
    cursor: str | None,
    limit: int,
) -> DeliveryPage:
    """Newest first; the cursor is the id below which the next page starts."""
    _get(uow, subscription_id)
    before = _cursor(cursor)
    found = store.deliveries_of(
        uow.connection,
        subscription_id=subscription_id,
        status=None if status is None else str(status),
        before_id=before,
        limit=limit + 1,
    )
    shown = found[:limit]
    items = _with_attempts(uow, shown)
    more = len(found) > limit and shown
    return DeliveryPage(items=items, next_cursor=str(shown[-1].id) if more else None)


def retry_delivery(ctx: Context, *, subscription_id: int, delivery_id: int) -> DeliveryRead:
    """ "Send again": pending and due now, with the same `webhook-id` and a fresh retry window."""
    with ctx.uow() as uow:
        _get(uow, subscription_id)
        now = uow.clock.now()
        found = store.get_delivery(
            uow.connection, subscription_id=subscription_id, delivery_id=delivery_id
        )
        if found is None:
            raise NotFound(f"no delivery with id {delivery_id} for webhook {subscription_id}")
        gives_up_at = now + timedelta(seconds=ctx.settings.webhook_give_up_seconds)
        store.send_again(uow.connection, delivery_id=delivery_id, now=now, gives_up_at=gives_up_at)
        again = store.get_delivery(
            uow.connection, subscription_id=subscription_id, delivery_id=delivery_id
        )
        assert again is not None
        read = _with_attempts(uow, [again])[0]
        uow.commit()
    return read


def _check_url(ctx: Context, url: str) -> None:
    try:
        resolve(url, allow_private=ctx.settings.webhook_allow_private)
    except UnsafeTarget as error:
        raise InvalidInput.at("url", str(error)) from error


def _check_team(uow: UnitOfWork, team_id: int | None) -> None:
    if team_id is not None and users_store.get_team(uow.connection, team_id=team_id) is None:
        raise InvalidInput.at("team_id", f"no team with id {team_id}")


def _get(uow: UnitOfWork, subscription_id: int) -> Subscription:
    found = store.get(uow.connection, subscription_id=subscription_id)
    if found is None:
        raise NotFound(f"no webhook with id {subscription_id}")
    return found


def _read(subscription: Subscription, health: SubscriptionHealth | None) -> WebhookRead:
    pending = health.pending if health else 0
    failed = health.failed if health else 0
    failing = subscription.disabled_reason is not None or (health is not None and health.failing)
    return WebhookRead(
        id=subscription.id,
        url=subscription.url,
        events=subscription.events,
        team_id=subscription.team_id,
        active=subscription.active,
        disabled_reason=subscription.disabled_reason,
        created_at=subscription.created_at,
        updated_at=subscription.updated_at,
        pending=pending,
        failed=failed,
        failing=failing,
    )


def _with_attempts(uow: UnitOfWork, found: list[Delivery]) -> list[DeliveryRead]:
    by_delivery: dict[int, list[AttemptRead]] = {}
    for attempt in store.attempts_of(uow.connection, delivery_ids=[d.id for d in found]):
        read = AttemptRead.model_validate(attempt, from_attributes=True)
        by_delivery.setdefault(attempt.delivery_id, []).append(read)
    return [
        DeliveryRead(
            id=d.id,
            webhook_id=d.message_id,
            type=d.topic,
            lead_id=d.lead_id,
            status=DeliveryStatus(d.status),
            attempts=by_delivery.get(d.id, []),
            next_attempt_at=d.next_attempt_at,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
        )
        for d in found
    ]


def _cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or not 0 < int(cursor) < 2**63:
        raise InvalidInput.at("cursor", "not a cursor this API gave out")
    return int(cursor)
