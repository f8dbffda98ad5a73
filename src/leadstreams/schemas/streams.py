from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from leadstreams.schemas.common import Id, Name, Strict
from leadstreams.schemas.contacts import ContactRead

Description = Annotated[str, StringConstraints(max_length=2000)]


class StreamCreate(Strict):
    name: Name
    description: Description = ""
    rules: dict[str, Any]  # a rule tree: checked against the vocabulary by the service
    team_ids: list[Id] = Field(min_length=1, max_length=100)
    requalify_after_days: int | None = Field(default=None, ge=1, le=3650)


class StreamUpdate(Strict):
    name: Name | None = None
    description: Description | None = None
    rules: dict[str, Any] | None = None
    team_ids: list[Id] | None = Field(default=None, min_length=1, max_length=100)
    requalify_after_days: int | None = Field(default=None, ge=1, le=3650)


class StreamRead(BaseModel):
    id: int
    name: str
    description: str
    rules: dict[str, Any]
    rules_text: str
    team_ids: list[int]
    active: bool
    requalify_after_days: int | None
    activated_at: datetime | None
    history_fetched_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    lead_count: int
    last_matched_at: datetime | None


class StreamLogEntry(BaseModel):
    """One change of a stream (`GET /streams/{id}/history`): who, when, what changed."""

    id: int
    stream_id: int
    at: datetime
    user_id: int | None
    action: str
    changes: dict[str, Any]


class StreamPreview(BaseModel):
    """How many contacts the saved rules select now, and the first few of them."""

    matching: int
    sample: list[ContactRead]
