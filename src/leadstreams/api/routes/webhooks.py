"""Webhook subscriptions and their delivery log (api.md: /webhooks). Admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from leadstreams.api.deps import Ctx, Who
from leadstreams.domain.roles import Action
from leadstreams.domain.webhooks import DeliveryStatus
from leadstreams.schemas.common import Id
from leadstreams.schemas.webhooks import (
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookSecret,
    WebhookUpdate,
)
from leadstreams.services import webhooks

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks", status_code=201, response_model=WebhookCreated)
def create_webhook(ctx: Ctx, who: Who, body: WebhookCreate) -> WebhookCreated:
    """The secret is in this answer only (generated when not given)."""
    who.require(Action.MANAGE_WEBHOOKS)
    return webhooks.create_subscription(ctx, data=body)


@router.get("/webhooks", response_model=list[WebhookRead])
def list_webhooks(ctx: Ctx, who: Who) -> list[WebhookRead]:
    who.require(Action.MANAGE_WEBHOOKS)
    return webhooks.list_subscriptions(ctx)


@router.get("/webhooks/{webhook_id}", response_model=WebhookRead)
def get_webhook(ctx: Ctx, who: Who, webhook_id: Id) -> WebhookRead:
    who.require(Action.MANAGE_WEBHOOKS)
    return webhooks.get_subscription(ctx, subscription_id=webhook_id)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookRead)
def update_webhook(ctx: Ctx, who: Who, webhook_id: Id, body: WebhookUpdate) -> WebhookRead:
    who.require(Action.MANAGE_WEBHOOKS)
    return webhooks.update_subscription(ctx, subscription_id=webhook_id, data=body)


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(ctx: Ctx, who: Who, webhook_id: Id) -> Response:
    who.require(Action.MANAGE_WEBHOOKS)
    webhooks.delete_subscription(ctx, subscription_id=webhook_id)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/rotate-secret", response_model=WebhookSecret)
def rotate_secret(ctx: Ctx, who: Who, webhook_id: Id) -> WebhookSecret:
    """A new secret, shown this once; the previous one also signs for 24 hours."""
    who.require(Action.MANAGE_WEBHOOKS)
    return webhooks.rotate_secret(ctx, subscription_id=webhook_id)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveryPage)
def list_deliveries(
    ctx: Ctx,
    who: Who,
    webhook_id: Id,
    status: DeliveryStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=30)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryPage:
    """Newest first, each with its attempts."""
    who.require(Action.MANAGE_WEBHOOKS)
    return webhooks.list_deliveries(
        ctx, subscription_id=webhook_id, status=status, cursor=cursor, limit=limit
    )


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=DeliveryRead,
)
def retry_delivery(ctx: Ctx, who: Who, webhook_id: Id, delivery_id: Id) -> DeliveryRead:
    """Sent again by the worker, with the same `webhook-id`."""
    who.require(Action.MANAGE_WEBHOOKS)
    return webhooks.retry_delivery(ctx, subscription_id=webhook_id, delivery_id=delivery_id)
