"""A team's delivery settings (assignment policy, members' weights, e-mail mode) and the
state the policy keeps: members' credits, and their assignments this month."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from leadstreams.domain.assignment import Member, Policy
from leadstreams.domain.notify import NotifyMode
from leadstreams.store.sql import Among
from leadstreams.store.tables import (
    lead_assignments,
    team_delivery,
    team_delivery_members,
    team_members,
    users,
)


@dataclass(frozen=True, slots=True)
class MemberSetting:
    user_id: int
    weight: int
    monthly_capacity: int | None
    paused: bool


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    team_id: int
    policy: Policy
    members: tuple[MemberSetting, ...]  # by user id
    fallback_user_id: int | None
    notify_mode: NotifyMode
    digest_minutes: int


def read(connection: Connection, *, team_id: int) -> DeliverySettings:
    """The team's settings; a team never configured is manual, with e-mail off."""
    row = connection.execute(
        select(team_delivery).where(team_delivery.c.team_id == team_id)
    ).one_or_none()
    members = connection.execute(
        select(
            team_delivery_members.c.user_id, team_delivery_members.c.weight,
            team_delivery_members.c.monthly_capacity, team_delivery_members.c.paused,
        )
        .where(team_delivery_members.c.team_id == team_id)
        .order_by(team_delivery_members.c.user_id)
    ).all()  # fmt: skip
    found = tuple(MemberSetting(*m) for m in members)
    if row is None:
        return DeliverySettings(team_id, Policy.MANUAL, found, None, NotifyMode.OFF, 60)
    return DeliverySettings(
        team_id, Policy(row.policy), found, row.fallback_user_id, NotifyMode(row.notify_mode),
        row.digest_minutes,
    )  # fmt: skip


def save(connection: Connection, settings: DeliverySettings, *, now: datetime) -> None:
    """Replace the team's settings; members staying in the rotation keep their credit."""
    team_id = settings.team_id
    values = {
        "policy": settings.policy.value, "fallback_user_id": settings.fallback_user_id,
        "notify_mode": settings.notify_mode.value, "digest_minutes": settings.digest_minutes,
        "updated_at": now,
    }  # fmt: skip
    changed = connection.execute(
        update(team_delivery).where(team_delivery.c.team_id == team_id).values(values)
    ).rowcount
    if not changed:
        connection.execute(insert(team_delivery).values(team_id=team_id, **values))
    credits = dict(
        connection.execute(
            select(team_delivery_members.c.user_id, team_delivery_members.c.credit).where(
                team_delivery_members.c.team_id == team_id
            )
        )
        .tuples()
        .all()
    )
    connection.execute(
        delete(team_delivery_members).where(team_delivery_members.c.team_id == team_id)
    )
    if settings.members:
        connection.execute(
            insert(team_delivery_members),
            [
                {"team_id": team_id, "user_id": m.user_id, "weight": m.weight,
                 "monthly_capacity": m.monthly_capacity, "paused": m.paused,
                 "credit": credits.get(m.user_id, 0)}
                for m in settings.members
            ],
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class TeamPlan:
    """What a team does with a lead delivered to it."""

    team_id: int
    policy: Policy
    fallback_user_id: int | None
    notify_mode: NotifyMode
    digest_minutes: int


def plans(connection: Connection, *, team_ids: Collection[int]) -> dict[int, TeamPlan]:
    """The configured teams among these; a team missing here is manual with e-mail off."""
    if not team_ids:
        return {}
    # A fallback user who has been deactivated since is no fallback.
    fallback = users.alias("fallback")
    query = (
        select(
            team_delivery.c.team_id, team_delivery.c.policy, fallback.c.id,
            team_delivery.c.notify_mode, team_delivery.c.digest_minutes,
        )
        .outerjoin(
            fallback,
            (fallback.c.id == team_delivery.c.fallback_user_id) & fallback.c.active.is_(True),
        )
        .where(Among(team_delivery.c.team_id, "ids"))
    )  # fmt: skip
    rows = connection.execute(query, {"ids": sorted(team_ids)}).tuples()
    return {
        team_id: TeamPlan(team_id, Policy(policy), fallback_id, NotifyMode(mode), minutes)
        for team_id, policy, fallback_id, mode, minutes in rows
    }


def lock(connection: Connection, *, team_ids: Sequence[int]) -> None:
    """Hold the teams' settings rows until the commit, in id order (no deadlock between
    writers): two processes then never both read a member's count under their capacity.
    SQLite's writers hold the database already."""
    if team_ids and connection.dialect.name == "postgresql":
        connection.execute(
            select(team_delivery.c.team_id)
            .where(Among(team_delivery.c.team_id, "ids"))
            .order_by(team_delivery.c.team_id)
            .with_for_update(),
            {"ids": sorted(team_ids)},
        )


def rotation(connection: Connection, *, team_id: int, since: datetime) -> list[Member]:
    """The members in the team's rotation who are still active members of it, with their
    credit and how many leads the team gave them since `since`, by user id."""
    counts = dict(
        connection.execute(
            select(lead_assignments.c.user_id, func.count())
            .where(
                lead_assignments.c.team_id == team_id,
                lead_assignments.c.at >= since,
                lead_assignments.c.user_id.is_not(None),
                lead_assignments.c.policy != "hand",
            )
            .group_by(lead_assignments.c.user_id)
        )
        .tuples()
        .all()
    )
    m = team_delivery_members
    rows = connection.execute(
        select(m.c.user_id, m.c.weight, m.c.monthly_capacity, m.c.paused, m.c.credit)
        .join(
            team_members,
            (team_members.c.team_id == m.c.team_id) & (team_members.c.user_id == m.c.user_id),
        )
        .join(users, users.c.id == m.c.user_id)
        .where(m.c.team_id == team_id, users.c.active.is_(True))
        .order_by(m.c.user_id)
    )
    return [
        Member(u, w, cap, paused, credit, counts.get(u, 0)) for u, w, cap, paused, credit in rows
    ]


def save_credits(connection: Connection, *, team_id: int, credits: dict[int, int]) -> None:
    if credits:
        connection.execute(
            update(team_delivery_members)
            .where(
                team_delivery_members.c.team_id == team_id,
                team_delivery_members.c.user_id == bindparam("u"),
            )
            .values(credit=bindparam("c")),
            [{"u": u, "c": c} for u, c in credits.items()],
        )
