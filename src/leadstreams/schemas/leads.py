from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, StringConstraints

from leadstreams.domain.stages import Stage
from leadstreams.schemas.common import Id, Strict

LostReasonText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
]


class LeadUpdate(Strict):
    stage: Stage | None = None
    assignee_id: Id | None = None  # null unassigns
    hidden: bool | None = None
    # Why the lead is lost: with a move to lost, or to correct the reason of a lost lead.
    lost_reason: LostReasonText | None = None


class LostReasonCreate(Strict):
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class LostReasonRead(BaseModel):
    id: int
    label: str
    created_at: datetime


class NoteCreate(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class LeadContact(BaseModel):
    id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    category: str
    lead_score: int


class MatchRead(BaseModel):
    stream_id: int
    stream_name: str
    matched_at: datetime
    origin: str
    trigger: dict[str, Any]
    explanation: dict[str, Any] | None


class AssignmentNote(BaseModel):
    """How the lead got its current assignee (or none): the last assignment recorded."""

    policy: str  # round_robin, weighted, fallback, none (nobody available), hand
    reason: str
    team_id: int | None
    by_user_id: int | None
    at: datetime


class LeadRead(BaseModel):
    id: int
    contact: LeadContact
    stage: Stage
    assignee_id: int | None
    hidden: bool
    created_at: datetime
    closed_at: datetime | None
    team_ids: list[int]
    matches: list[MatchRead]
    assignment: AssignmentNote | None = None  # None: never assigned (a manual team)
    lost_reason: str | None = None  # while the lead is lost


class LeadPage(BaseModel):
    items: list[LeadRead]
    next_cursor: str | None


class NoteRead(BaseModel):
    id: int
    lead_id: int
    user_id: int | None
    text: str
    created_at: datetime


class StageChangeRead(BaseModel):
    id: int
    lead_id: int
    from_stage: str | None
    to_stage: str
    user_id: int | None
    at: datetime
    lost_reason: str | None = None  # with a move to lost


class ClearedMatchRead(BaseModel):
    """A cleared match in the archive, with its lead's state now."""

    id: int
    lead_id: int
    stream_id: int
    stream_name: str
    contact_id: int
    matched_at: datetime
    origin: str
    trigger: dict[str, Any]
    explanation: dict[str, Any] | None
    cleared_at: datetime
    stage: str
    lead_cleared_at: datetime | None
