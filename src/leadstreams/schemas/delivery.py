"""A team's delivery settings (api.md, `/teams/{id}/delivery`) and a lead's assignments."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from leadstreams.domain.assignment import AssignedBy, Policy
from leadstreams.domain.notify import NotifyMode
from leadstreams.schemas.common import Id, Strict

MAX_WEIGHT = 1000
MAX_DIGEST_MINUTES = 7 * 24 * 60


class MemberSettings(Strict):
    user_id: Id
    weight: int = Field(default=1, gt=0, le=MAX_WEIGHT)
    monthly_capacity: int | None = Field(default=None, ge=0, le=10**9)  # None: no limit
    paused: bool = False


class AssignmentSettings(Strict):
    policy: Policy = Policy.MANUAL
    members: list[MemberSettings] = Field(default_factory=list, max_length=1000)
    fallback_user_id: Id | None = None


class NotifySettings(Strict):
    mode: NotifyMode = NotifyMode.OFF
    digest_minutes: int = Field(default=60, ge=1, le=MAX_DIGEST_MINUTES)


class TeamDeliveryUpdate(Strict):
    assignment: AssignmentSettings = Field(default_factory=AssignmentSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)


class MemberRead(BaseModel):
    user_id: int
    weight: int
    monthly_capacity: int | None
    paused: bool
    assigned_this_month: int


class AssignmentRead(BaseModel):
    policy: Policy
    members: list[MemberRead]
    fallback_user_id: int | None


class TeamDeliveryRead(BaseModel):
    team_id: int
    assignment: AssignmentRead
    notify: NotifySettings


class LeadAssignmentRead(BaseModel):
    """One assignment in a lead's history: who or which policy made it, and why."""

    id: int
    lead_id: int
    team_id: int | None
    user_id: int | None  # None: left unassigned
    policy: AssignedBy
    reason: str
    by_user_id: int | None  # the person, for a hand assignment
    at: datetime


class MailPreference(Strict):
    """A user's own choice: whether their teams' lead e-mails reach them."""

    email: bool = True
