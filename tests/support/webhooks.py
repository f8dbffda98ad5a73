"""Webhook test helpers: a subscription to a receiver, leads to announce, verified bodies."""

from __future__ import annotations

from sqlalchemy import select
from standardwebhooks import Webhook

from leadstreams.domain.topics import Topic
from leadstreams.schemas.webhooks import WebhookCreate
from leadstreams.services import webhooks
from leadstreams.services.context import Context
from leadstreams.store.tables import webhook_deliveries
from tests.support import builders
from tests.support.receiver import Receiver

ANY_FORM = {"all": [{"event": "form_submitted"}]}
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes once decoded


def subscribe(ctx: Context, url: str, **extra: object) -> int:
    data = WebhookCreate(url=url, events=list(Topic), secret=SECRET, **extra)  # type: ignore[arg-type]
    return webhooks.create_subscription(ctx, data=data).id


def make_leads(ctx: Context, count: int, *, team_id: int | None = None) -> list[int]:
    team = team_id or builders.team(ctx, "Nordics")
    builders.stream(ctx, ANY_FORM, team_ids=[team])
    made = []
    for n in range(count):
        recorded = builders.event(ctx, f"p{n}@example.com", properties={"form": "Contact us"})
        made.extend(match.lead_id for match in recorded.matches)
    return made


def verified(received: Receiver) -> dict[str, dict[str, object]]:
    """The accepted deliveries by webhook-id, each verified; a second copy fails the test."""
    by_id: dict[str, dict[str, object]] = {}
    for request in received.accepted:
        body = Webhook(SECRET).verify(request.body, request.headers)
        message_id = request.headers["webhook-id"]
        assert message_id not in by_id, f"{message_id} accepted twice"
        by_id[message_id] = body
    return by_id


def message_ids(ctx: Context) -> set[str]:
    with ctx.uow(read_only=True) as uow:
        return set(uow.connection.scalars(select(webhook_deliveries.c.message_id)))
