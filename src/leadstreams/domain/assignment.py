"""Assignment inside a team (product spec, section 4a), as pure functions.

The next assignee is the available member furthest behind their share: each member keeps a
credit (smooth weighted round robin). Per lead, every available member gains their weight,
the one with the most credit gets the lead and gives back the weights of all available
members. Over any run of leads a member's count stays within one lead of their weighted
share of the leads handed out while they were available, and the credits persist, so the
weights hold over the long run and not only within one cycle. Round robin is the same with
every weight 1. A member is available when not paused and under their monthly capacity;
when nobody is, the team's fallback user gets the lead, else it stays unassigned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Policy(StrEnum):
    MANUAL = "manual"
    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"


class AssignedBy(StrEnum):
    """How an assignment was made, as the lead's history records it."""

    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"
    FALLBACK = "fallback"
    NOBODY = "none"  # nobody available and no fallback: the lead stays unassigned
    HAND = "hand"


@dataclass(frozen=True, slots=True)
class Member:
    """A team member as the policy sees them at the moment of a lead."""

    user_id: int
    weight: int
    monthly_capacity: int | None  # None: no limit
    paused: bool
    credit: int
    assigned_this_month: int


@dataclass(frozen=True, slots=True)
class Choice:
    user_id: int | None
    by: AssignedBy
    reason: str
    credits: Mapping[int, int]  # the members' credits after this lead


def is_available(member: Member) -> bool:
    if member.paused:
        return False
    cap = member.monthly_capacity
    return cap is None or member.assigned_this_month < cap


def choose(policy: Policy, members: Sequence[Member], *, fallback_user_id: int | None) -> Choice:
    """Who gets the next lead under `policy` (not manual), and why."""
    if policy is Policy.MANUAL:
        raise ValueError("a manual team assigns nothing")
    credits = {m.user_id: m.credit for m in members}
    available = [m for m in members if is_available(m)]
    if not available:
        why = _why_nobody(members)
        if fallback_user_id is not None:
            return Choice(
                fallback_user_id, AssignedBy.FALLBACK, f"{why}: the fallback user", credits
            )
        return Choice(None, AssignedBy.NOBODY, f"{why} and no fallback user: unassigned", credits)
    weight = {m.user_id: 1 if policy is Policy.ROUND_ROBIN else m.weight for m in available}
    total = sum(weight.values())
    for m in available:
        credits[m.user_id] += weight[m.user_id]
    # Ties go to the member listed first (ascending user id): deterministic on every path.
    picked = max(available, key=lambda m: credits[m.user_id])
    behind = credits[picked.user_id]
    credits[picked.user_id] -= total
    by = AssignedBy(policy.value)
    reason = (
        f"{by.value.replace('_', ' ')}: furthest behind their share among {len(available)} "
        f"available (weight {weight[picked.user_id]} of {total}, credit {behind})"
    )
    return Choice(picked.user_id, by, reason, credits)


def _why_nobody(members: Sequence[Member]) -> str:
    if not members:
        return "no members in the rotation"
    if all(m.paused for m in members):
        return "every member paused"
    return "every member paused or at monthly capacity"


def after(members: Sequence[Member], choice: Choice) -> list[Member]:
    """The members as the next lead sees them: new credits, one more lead for the picked."""
    return [
        Member(
            m.user_id, m.weight, m.monthly_capacity, m.paused, choice.credits[m.user_id],
            m.assigned_this_month + (1 if m.user_id == choice.user_id else 0),
        )
        for m in members
    ]  # fmt: skip


def month_start(now: datetime) -> datetime:
    """Monthly capacity counts from the first of the month, UTC."""
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def first_assigning_team(team_ids: Sequence[int], policies: Mapping[int, Policy]) -> int | None:
    """A lead delivered to several teams is assigned by the first whose policy is not manual,
    in stream order (the teams listed in the order of the lead's streams)."""
    for team_id in team_ids:
        if policies.get(team_id, Policy.MANUAL) is not Policy.MANUAL:
            return team_id
    return None
