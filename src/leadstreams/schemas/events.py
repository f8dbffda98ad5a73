from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from leadstreams.schemas.common import FreeJson, Id, SnakeName, Strict, UTCDatetime
from leadstreams.schemas.contacts import Email

MAX_BATCH = 10_000


class EventCreate(Strict):
    event_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    email: Email | None = None
    contact_id: Id | None = None
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    type: SnakeName
    occurred_at: UTCDatetime | None = None
    properties: FreeJson = Field(default_factory=dict)

    @model_validator(mode="after")
    def _contact_named(self) -> EventCreate:
        named = [self.email, self.contact_id, self.external_id]
        if sum(key is not None for key in named) != 1:
            raise ValueError("give exactly one of 'email', 'contact_id' or 'external_id'")
        return self


class MatchRef(BaseModel):
    stream_id: int
    lead_id: int


class EventCreated(BaseModel):
    id: int
    event_id: str
    contact_id: int
    matches: list[MatchRef]


class EventBatch(Strict):
    # Items stay raw here: each is validated on its own, so one bad item loses nothing else.
    unchecked = frozenset({"events"})
    events: list[Any] = Field(max_length=MAX_BATCH)


class EventRecorded(BaseModel):
    """A batch item that was stored now (`created`) or before (`duplicate`)."""

    index: int
    status: Literal["created", "duplicate"]
    id: int
    event_id: str
    contact_id: int
    matches: list[MatchRef]


class ErrorDetailRead(BaseModel):
    path: str
    message: str


class EventRefused(BaseModel):
    """A batch item that was not recorded, and why."""

    index: int
    status: Literal["error"]
    message: str
    details: list[ErrorDetailRead]


class EventBatchResult(BaseModel):
    results: list[EventRecorded | EventRefused]
