"""A team's delivery settings: who gets its leads (assignment) and how it hears of them
(e-mail). The policy itself is `domain/assignment.py`; it runs where leads are written."""

from __future__ import annotations

from leadstreams.domain.assignment import month_start
from leadstreams.errors import ErrorDetail, InvalidInput, NotFound
from leadstreams.schemas.delivery import (
    AssignmentRead,
    MemberRead,
    NotifySettings,
    TeamDeliveryRead,
    TeamDeliveryUpdate,
)
from leadstreams.services.context import Context
from leadstreams.store import team_delivery as store
from leadstreams.store import users as users_store
from leadstreams.store.team_delivery import DeliverySettings, MemberSetting
from leadstreams.store.uow import UnitOfWork
from leadstreams.store.users import Team


def get_delivery(ctx: Context, *, team_id: int) -> TeamDeliveryRead:
    with ctx.uow(read_only=True) as uow:
        return _read(uow, _team(uow, team_id))


def put_delivery(ctx: Context, *, team_id: int, data: TeamDeliveryUpdate) -> TeamDeliveryRead:
    """Replace the team's settings; users outside the team are refused, nothing written."""
    with ctx.uow() as uow:
        team = _team(uow, team_id)
        _check_people(team, data)
        assignment, notify = data.assignment, data.notify
        members = tuple(
            MemberSetting(m.user_id, m.weight, m.monthly_capacity, m.paused)
            for m in sorted(assignment.members, key=lambda m: m.user_id)
        )
        settings = DeliverySettings(
            team_id, assignment.policy, members, assignment.fallback_user_id, notify.mode,
            notify.digest_minutes,
        )  # fmt: skip
        store.save(uow.connection, settings, now=uow.clock.now())
        changed = _read(uow, team)
        uow.commit()
    return changed


def _team(uow: UnitOfWork, team_id: int) -> Team:
    team = users_store.get_team(uow.connection, team_id=team_id)
    if team is None:
        raise NotFound(f"no team with id {team_id}")
    return team


def _check_people(team: Team, data: TeamDeliveryUpdate) -> None:
    problems, seen = [], set()
    for i, member in enumerate(data.assignment.members):
        path = f"assignment.members[{i}].user_id"
        if member.user_id not in team.member_ids:
            problems.append(ErrorDetail(path, f"user {member.user_id} is not in this team"))
        elif member.user_id in seen:
            problems.append(ErrorDetail(path, f"user {member.user_id} is listed twice"))
        seen.add(member.user_id)
    fallback = data.assignment.fallback_user_id
    if fallback is not None and fallback not in team.member_ids:
        path = "assignment.fallback_user_id"
        problems.append(ErrorDetail(path, f"user {fallback} is not in this team"))
    if problems:
        raise InvalidInput("invalid delivery settings", problems)


def _read(uow: UnitOfWork, team: Team) -> TeamDeliveryRead:
    settings = store.read(uow.connection, team_id=team.id)
    since = month_start(uow.clock.now())
    counts = {
        m.user_id: m.assigned_this_month
        for m in store.rotation(uow.connection, team_id=team.id, since=since)
    }
    members = [
        MemberRead(
            user_id=m.user_id, weight=m.weight, monthly_capacity=m.monthly_capacity,
            paused=m.paused, assigned_this_month=counts.get(m.user_id, 0),
        )
        for m in settings.members
    ]  # fmt: skip
    return TeamDeliveryRead(
        team_id=team.id,
        assignment=AssignmentRead(
            policy=settings.policy, members=members, fallback_user_id=settings.fallback_user_id
        ),
        notify=NotifySettings(mode=settings.notify_mode, digest_minutes=settings.digest_minutes),
    )
