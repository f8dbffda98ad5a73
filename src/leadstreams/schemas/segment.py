"""The Segment tracking API's messages, as its clients send them (extra keys are theirs:
`context`, `integrations`, `sentAt`... are accepted and not kept)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from leadstreams.schemas.common import UTCDatetime, text_problem

MESSAGE_BYTES = 32 * 1024  # a message, as Segment limits it
BATCH_BYTES = 500 * 1024  # a batch


def _storable(text: str) -> str:
    """An id is stored as it is (a visitor's, before any event schema reads it)."""
    problem = text_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


Identity = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_storable),
]


class SegmentMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    type: Literal["identify", "track", "page"]
    userId: Identity | None = None  # the clients' names
    anonymousId: Identity | None = None
    messageId: Identity | None = None
    event: str | None = None
    name: str | None = None
    traits: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    timestamp: UTCDatetime | None = None
    originalTimestamp: UTCDatetime | None = None


class MessageErrorRead(BaseModel):
    index: int
    reason: str


class Accepted(BaseModel):
    success: Literal[True] = True
    errors: list[MessageErrorRead] = Field(default_factory=list)  # the messages not kept
