"""Assignment inside teams (product spec, section 4a), through ingestion and fetch history,
on both databases: the policy picks, the lead's history says who and why, the outbox
announces it, and the board reads it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from leadstreams.domain.assignment import Policy
from leadstreams.schemas.delivery import (
    AssignmentSettings,
    MemberSettings,
    TeamDeliveryUpdate,
)
from leadstreams.schemas.users import UserUpdate
from leadstreams.services import fetch_history, jobs, team_delivery, users
from leadstreams.services.context import Context
from leadstreams.store.tables import lead_assignments, leads, outbox
from tests.support import builders

SCORE = builders.SCORE_AT_LEAST_50


def _team(ctx: Context, name: str, size: int) -> tuple[int, list[int]]:
    team_id = builders.team(ctx, name)
    people = [
        builders.user(ctx, f"{name.lower()}{n}@example.com", team_ids=[team_id])
        for n in range(size)
    ]
    return team_id, people


def _set(
    ctx: Context, team_id: int, policy: Policy, members: list[dict[str, Any]], **extra: Any
) -> None:
    assignment = AssignmentSettings(
        policy=policy, members=[MemberSettings(**m) for m in members], **extra
    )
    team_delivery.put_delivery(ctx, team_id=team_id, data=TeamDeliveryUpdate(assignment=assignment))


def _assignees(ctx: Context) -> list[int | None]:
    with ctx.uow(read_only=True) as uow:
        return list(uow.connection.scalars(select(leads.c.assignee_id).order_by(leads.c.id)))


def _history(ctx: Context) -> list[tuple[int | None, str, str]]:
    with ctx.uow(read_only=True) as uow:
        query = select(lead_assignments).order_by(lead_assignments.c.id)
        return [(r.user_id, r.policy, r.reason) for r in uow.connection.execute(query)]


def _leads(ctx: Context, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        builders.contact(ctx, f"c{n}@example.com", lead_score=80)


def test_round_robin_takes_turns_and_records_why(ctx: Context) -> None:
    team_id, (a, b, c) = _team(ctx, "Nordics", 3)
    builders.stream(ctx, SCORE, team_ids=[team_id])
    _set(ctx, team_id, Policy.ROUND_ROBIN, [{"user_id": a}, {"user_id": b}, {"user_id": c}])
    _leads(ctx, 6)
    assert _assignees(ctx) == [a, b, c, a, b, c]
    history = _history(ctx)
    assert [(user, policy) for user, policy, _ in history] == [
        (u, "round_robin") for u in (a, b, c) * 2
    ]
    assert "furthest behind their share among 3 available" in history[0][2]
    with ctx.uow(read_only=True) as uow:
        query = (
            select(outbox.c.payload).where(outbox.c.topic == "lead.assigned").order_by(outbox.c.id)
        )
        announced = list(uow.connection.scalars(query))
    assert [p["assignee_id"] for p in announced] == [a, b, c, a, b, c]
    assert {p["policy"] for p in announced} == {"round_robin"}
    assert announced[0]["team_id"] == team_id


def test_weighted_paused_capacity_and_fallback(ctx: Context) -> None:
    team_id, (a, b, boss) = _team(ctx, "Nordics", 3)
    builders.stream(ctx, SCORE, team_ids=[team_id])
    members = [
        {"user_id": a, "weight": 2, "monthly_capacity": 2},
        {"user_id": b, "weight": 1, "paused": True},
    ]
    _set(ctx, team_id, Policy.WEIGHTED, members, fallback_user_id=boss)
    _leads(ctx, 3)
    # b is paused; a takes two, reaches capacity; the third goes to the fallback user.
    assert _assignees(ctx) == [a, a, boss]
    user, policy, reason = _history(ctx)[-1]
    assert (user, policy) == (boss, "fallback")
    assert "paused or at monthly capacity" in reason
    read = team_delivery.get_delivery(ctx, team_id=team_id)
    assert [m.assigned_this_month for m in read.assignment.members] == [2, 0]


def test_nobody_available_and_no_fallback_leaves_the_lead_unassigned_and_says_so(
    ctx: Context,
) -> None:
    team_id, (a,) = _team(ctx, "Nordics", 1)
    builders.stream(ctx, SCORE, team_ids=[team_id])
    _set(ctx, team_id, Policy.ROUND_ROBIN, [{"user_id": a, "paused": True}])
    _leads(ctx, 1)
    assert _assignees(ctx) == [None]
    assert _history(ctx) == [(None, "none", "every member paused and no fallback user: unassigned")]
    with ctx.uow(read_only=True) as uow:
        topics = list(uow.connection.scalars(select(outbox.c.topic)))
    assert "lead.assigned" not in topics  # nothing was assigned to announce


def test_a_manual_team_assigns_nothing(ctx: Context) -> None:
    team_id, (a,) = _team(ctx, "Nordics", 1)
    builders.stream(ctx, SCORE, team_ids=[team_id])
    _set(ctx, team_id, Policy.MANUAL, [{"user_id": a}])
    _leads(ctx, 2)
    assert _assignees(ctx) == [None, None]
    assert _history(ctx) == []


def test_a_lead_of_several_teams_is_assigned_once_by_the_first_non_manual_team(
    ctx: Context,
) -> None:
    manual, (m,) = _team(ctx, "Manual", 1)
    first, (f,) = _team(ctx, "First", 1)
    second, (s,) = _team(ctx, "Second", 1)
    _set(ctx, manual, Policy.MANUAL, [{"user_id": m}])
    _set(ctx, first, Policy.ROUND_ROBIN, [{"user_id": f}])
    _set(ctx, second, Policy.ROUND_ROBIN, [{"user_id": s}])
    builders.stream(ctx, SCORE, team_ids=[manual, second, first], name="Both")
    _leads(ctx, 1)
    # Within a stream the teams count in id order: manual, then first.
    assert _assignees(ctx) == [f]
    # A second stream delivering the same lead to another team does not assign it again.
    builders.stream(ctx, {"field": "lead_score", "op": "gte", "value": 60}, team_ids=[second],
                    name="Later")  # fmt: skip
    builders.contact(ctx, "c0@example.com", lead_score=90)
    assert _assignees(ctx) == [f]
    assert len(_history(ctx)) == 1


def test_fetch_history_assigns_as_live_matching_does(ctx: Context) -> None:
    team_id, (a, b) = _team(ctx, "Nordics", 2)
    _set(ctx, team_id, Policy.WEIGHTED, [{"user_id": a, "weight": 1}, {"user_id": b, "weight": 2}])
    _leads(ctx, 6)
    stream_id = builders.stream(ctx, SCORE, team_ids=[team_id])
    fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    assert jobs.run_next(ctx, worker="test")
    assert _assignees(ctx) == [b, a, b, b, a, b]
    assert {policy for _, policy, _ in _history(ctx)} == {"weighted"}


def test_credits_survive_a_settings_change(ctx: Context) -> None:
    """Shares hold over the long run: saving the settings again does not restart the cycle
    (with fresh credits the tie would go to the first member again)."""
    team_id, (a, b) = _team(ctx, "Nordics", 2)
    builders.stream(ctx, SCORE, team_ids=[team_id])
    members = [{"user_id": a}, {"user_id": b}]
    _set(ctx, team_id, Policy.ROUND_ROBIN, members)
    _leads(ctx, 1)
    _set(ctx, team_id, Policy.ROUND_ROBIN, members)
    _leads(ctx, 1, start=1)
    assert _assignees(ctx) == [a, b]


def test_a_deactivated_fallback_user_gets_nothing(ctx: Context) -> None:
    team_id, (a, boss) = _team(ctx, "Nordics", 2)
    builders.stream(ctx, SCORE, team_ids=[team_id])
    _set(ctx, team_id, Policy.ROUND_ROBIN, [{"user_id": a, "paused": True}], fallback_user_id=boss)
    users.update_user(ctx, user_id=boss, data=UserUpdate(active=False))
    _leads(ctx, 1)
    assert _assignees(ctx) == [None]
    assert _history(ctx)[0][1] == "none"
