"""Webhook subscriptions and their deliveries (api.md: /webhooks, "Webhook deliveries")."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from leadstreams.domain.topics import Topic
from leadstreams.domain.webhooks import DeliveryStatus
from leadstreams.schemas.common import Id, Strict

SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)  # a given secret decodes to this many bytes (generated ones: 32)


def _secret(value: str) -> str:
    if not value.startswith(SECRET_PREFIX):
        raise ValueError(f"a secret has the form {SECRET_PREFIX}<base64>")
    try:
        key = base64.b64decode(value.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("the part after whsec_ is not base64") from error
    low, high = SECRET_BYTES
    if not low <= len(key) <= high:
        raise ValueError(f"the secret must decode to {low} to {high} bytes")
    return value


Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Secret = Annotated[str, AfterValidator(_secret)]
Events = Annotated[list[Topic], Field(min_length=1, max_length=len(Topic))]


class WebhookCreate(Strict):
    url: Url
    events: Events
    secret: Secret | None = None  # generated when not given
    team_id: Id | None = None  # only leads delivered to this team
    active: bool = True


class WebhookUpdate(Strict):
    url: Url | None = None
    events: Events | None = None
    team_id: Id | None = None
    active: bool | None = None  # false pauses; true resumes (also after a 410 disabled it)


class WebhookRead(BaseModel):
    id: int
    url: str
    events: list[str]
    team_id: int | None
    active: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    pending: int = 0  # deliveries waiting (retrying)
    failed: int = 0
    # deliveries are being retried, the latest one attempted failed, or a 410 disabled it
    failing: bool = False


class WebhookCreated(WebhookRead):
    secret: str  # shown this once


class WebhookSecret(BaseModel):
    secret: str
    previous_valid_until: datetime | None  # the old secret also signs until then


class AttemptRead(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    answer: str | None  # the first 1 KB


class DeliveryRead(BaseModel):
    id: int
    webhook_id: str  # the `webhook-id` header: the same on every attempt
    type: str
    lead_id: int | None
    status: DeliveryStatus
    attempts: list[AttemptRead]
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None
