"""Lead scoring's arithmetic (product spec, section 4): pure, no SQL.

A contact's score is the sum of the points of the score rules that hold for it now (over
active sets) plus its manual adjustments that have not expired. Which rules hold, and when
the conditions they read can change by time alone, come from the rule language; this module
adds them up, says which rules started or stopped giving points, and when the score can
next change without anything arriving.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

IMPORTED_SCORE = "imported score"  # the reason of the adjustment made from an old lead_score


@dataclass(frozen=True, slots=True)
class Adjustment:
    id: int
    contact_id: int
    points: int
    reason: str
    expires_at: datetime | None
    created_at: datetime

    def active(self, now: datetime) -> bool:
        """An adjustment counts up to (not at) the moment it expires."""
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True, slots=True)
class Score:
    """A contact's score as computed at one moment."""

    value: int
    holding: frozenset[int]  # the score rules giving points now
    changes_at: datetime | None  # when time alone can next change it


def compute(
    *,
    holding: Iterable[int],
    points: Mapping[int, int],
    adjustments: Iterable[Adjustment],
    rules_change_at: datetime | None,
    now: datetime,
) -> Score:
    """The score from the rules that hold (`points` by rule id), the adjustments, and the
    first moment after `now` at which a rule's timed condition may read differently."""
    adjusted, next_expiry = adjustment_totals(((a.points, a.expires_at) for a in adjustments), now)
    return compute_totals(
        holding=holding,
        points=points,
        adjusted=adjusted,
        next_expiry=next_expiry,
        rules_change_at=rules_change_at,
        now=now,
    )


def adjustment_totals(
    terms: Iterable[tuple[int, datetime | None]], now: datetime
) -> tuple[int, datetime | None]:
    """Of adjustments given as (points, expires_at): the points of those that count at `now`
    (up to, not at, the moment each expires: `Adjustment.active`), and the earliest expiry
    among them."""
    adjusted, next_expiry = 0, None
    for points, expires_at in terms:
        if expires_at is None:
            adjusted += points
        elif expires_at > now:
            adjusted += points
            next_expiry = expires_at if next_expiry is None else min(next_expiry, expires_at)
    return adjusted, next_expiry


def compute_totals(
    *,
    holding: Iterable[int],
    points: Mapping[int, int],
    adjusted: int,
    next_expiry: datetime | None,
    rules_change_at: datetime | None,
    now: datetime,
) -> Score:
    """`compute` with the active adjustments already summed (`adjusted`) and their earliest
    expiry after `now` (`next_expiry`), as the bulk recompute reads them in SQL."""
    held = frozenset(holding)
    value = sum(points[rule_id] for rule_id in held) + adjusted
    moments = [m for m in (rules_change_at, next_expiry) if m is not None and m > now]
    return Score(value, held, min(moments, default=None))


def started_stopped(before: Iterable[int], after: Iterable[int]) -> tuple[list[int], list[int]]:
    """The rules that started and stopped giving points, each sorted."""
    old, new = set(before), set(after)
    return sorted(new - old), sorted(old - new)


def change_reason(
    before: Iterable[int], after: Iterable[int], *, cause: str, **extra: Any
) -> dict[str, Any]:
    """The reason kept in a contact's score history: what caused the recompute, and the
    rules that started or stopped giving points."""
    started, stopped = started_stopped(before, after)
    return {"cause": cause, "started": started, "stopped": stopped, **extra}
