"""Score sets, score rules, adjustments and a contact's score, as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictInt, StringConstraints, field_validator

from leadstreams.schemas.common import Name, Strict, UTCDatetime
from leadstreams.schemas.jobs import JobRead

Description = Annotated[str, StringConstraints(max_length=2000)]
# Points: a non-zero whole number (negative allowed); 2.5 or "5" are refused, not rounded.
Points = Annotated[StrictInt, Field(ge=-1_000_000, le=1_000_000)]


def _non_zero(value: int) -> int:
    if value == 0:
        raise ValueError("points must not be zero")
    return value


class ScoreRuleWrite(Strict):
    name: Name
    criteria: dict[str, Any]  # a rule tree: checked against the vocabulary by the service
    points: Points

    _points = field_validator("points")(_non_zero)


class ScoreSetCreate(Strict):
    name: Name
    description: Description = ""
    active: bool = False
    rules: list[ScoreRuleWrite] = Field(default_factory=list, max_length=200)


class ScoreSetUpdate(Strict):
    name: Name | None = None
    description: Description | None = None
    active: bool | None = None
    rules: list[ScoreRuleWrite] | None = Field(default=None, max_length=200)


class ScoreRuleRead(BaseModel):
    id: int
    name: str
    criteria: dict[str, Any]
    criteria_text: str  # the criteria in plain English
    points: int


class ScoreSetRead(BaseModel):
    id: int
    name: str
    description: str
    active: bool
    rules: list[ScoreRuleRead]
    created_at: datetime
    updated_at: datetime
    version: int
    # The latest recompute of every contact's score (each change to an active set queues
    # one); its progress as `GET /jobs/{id}` shows it. None before the first.
    recompute: JobRead | None = None


class RuleCount(BaseModel):
    rule_id: int
    name: str
    points: int
    contacts: int  # the contacts the rule gives points to now


class ScoreBucket(BaseModel):
    score: int
    contacts: int


class ScoreSetPreview(BaseModel):
    """What the set would do now: contacts per rule, and the distribution of its totals."""

    rules: list[RuleCount]
    distribution: list[ScoreBucket]


class ScoreAdjustmentCreate(Strict):
    points: Points
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    expires_at: UTCDatetime | None = None

    _points = field_validator("points")(_non_zero)


class ScoreAdjustmentRead(BaseModel):
    id: int
    contact_id: int
    points: int
    reason: str
    expires_at: datetime | None
    created_at: datetime
    lead_score: int  # the contact's score with it


class ContactScoreRule(BaseModel):
    score_set: str
    rule: str
    points: int
    expires_at: datetime | None  # when its points expire by time alone; None: they do not


class ScoreHistoryItem(BaseModel):
    at: datetime
    value: int
    reason: dict[str, Any]


class ContactScore(BaseModel):
    lead_score: int
    computed: bool  # a score set is active: lead_score is the sum below
    rules: list[ContactScoreRule]
    adjustments: list[ContactScoreRule]
    history: list[ScoreHistoryItem]
