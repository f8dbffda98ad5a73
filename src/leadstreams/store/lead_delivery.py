"""Delivering new matches to their teams' people, in the transaction that wrote them:
assignment (section 4a) and the mail queue. `match_writer.write_matches` calls it, so live
matching and fetch history assign and queue mail the same way.

A lead is assigned once, by the first team of its streams whose policy is not manual, and
only while nobody has assigned it (no assignment recorded: a hand assignment, or a policy
that found nobody, is never overridden).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.engine import Connection

from leadstreams.domain import assignment, notify
from leadstreams.domain.assignment import Choice, Member
from leadstreams.domain.notify import NotifyMode
from leadstreams.domain.topics import Topic
from leadstreams.store import team_delivery
from leadstreams.store.leads import add_outbox_rows
from leadstreams.store.sql import Among, InsertIgnoringConflicts
from leadstreams.store.tables import (
    lead_assignments,
    leads,
    mail_opt_outs,
    mail_queue,
    stream_teams,
    team_members,
    users,
)
from leadstreams.store.team_delivery import TeamPlan

if TYPE_CHECKING:
    from leadstreams.store.match_writer import NewMatch


def deliver(connection: Connection, written: Sequence[NewMatch | None], *, now: datetime) -> None:
    """Assign the leads of these new matches and queue their mail, as their teams say."""
    made = sorted((m for m in written if m is not None), key=lambda m: (m.contact_id, m.match_id))
    if not made:
        return
    teams_of = _teams_of_streams(connection, {m.stream_id for m in made})
    plans = team_delivery.plans(connection, team_ids={t for ts in teams_of.values() for t in ts})
    if not plans:  # every team manual with e-mail off: the common case costs one read
        return
    # The teams each lead is delivered to by this write, in stream order (rule: first team).
    delivered: dict[int, list[int]] = {}
    contact_of: dict[int, int] = {}
    for m in made:
        contact_of[m.lead_id] = m.contact_id
        for team_id in teams_of.get(m.stream_id, ()):
            if team_id not in delivered.setdefault(m.lead_id, []):
                delivered[m.lead_id].append(team_id)
    assignees = _assign(connection, delivered, contact_of, plans, now=now)
    _queue_mail(connection, delivered, contact_of, assignees, plans, now=now)


def _teams_of_streams(connection: Connection, stream_ids: set[int]) -> dict[int, list[int]]:
    query = (
        select(stream_teams.c.stream_id, stream_teams.c.team_id)
        .where(Among(stream_teams.c.stream_id, "ids"))
        .order_by(stream_teams.c.stream_id, stream_teams.c.team_id)
    )
    found: dict[int, list[int]] = {}
    for stream_id, team_id in connection.execute(query, {"ids": sorted(stream_ids)}).tuples():
        found.setdefault(stream_id, []).append(team_id)
    return found


def _assign(
    connection: Connection,
    delivered: dict[int, list[int]],
    contact_of: dict[int, int],
    plans: dict[int, TeamPlan],
    *,
    now: datetime,
) -> dict[int, int | None]:
    """Assign the leads nobody has assigned yet; every lead's assignee after it."""
    current = _assignees(connection, list(delivered))
    policies = {team_id: plan.policy for team_id, plan in plans.items()}
    todo = {
        lead_id: team_id
        for lead_id in delivered
        if lead_id in current.unassigned
        and (team_id := assignment.first_assigning_team(delivered[lead_id], policies)) is not None
    }
    if not todo:
        return current.assignee
    team_delivery.lock(connection, team_ids=sorted(set(todo.values())))
    since = assignment.month_start(now)
    rotations: dict[int, list[Member]] = {}
    records, announcements = [], []
    for lead_id, team_id in todo.items():  # in contact order, as `deliver` sorted them
        if team_id not in rotations:
            rotations[team_id] = team_delivery.rotation(connection, team_id=team_id, since=since)
        plan = plans[team_id]
        choice = assignment.choose(
            plan.policy, rotations[team_id], fallback_user_id=plan.fallback_user_id
        )
        rotations[team_id] = assignment.after(rotations[team_id], choice)
        current.assignee[lead_id] = choice.user_id
        records.append(_record(lead_id, contact_of[lead_id], team_id, choice, now))
        if choice.user_id is not None:  # "nobody available" is recorded, not announced
            announcements.append(_announcement(lead_id, contact_of[lead_id], team_id, choice))
    for team_id, members in rotations.items():
        team_delivery.save_credits(
            connection, team_id=team_id, credits={m.user_id: m.credit for m in members}
        )
    connection.execute(lead_assignments.insert(), records)
    assigned = [
        {"lead": r["lead_id"], "user": r["user_id"]} for r in records if r["user_id"] is not None
    ]
    if assigned:
        connection.execute(_ASSIGN, [a | {"now": now} for a in assigned])
    add_outbox_rows(connection, announcements, at=now)
    return current.assignee


_ASSIGN = (
    update(leads)
    .where(leads.c.id == bindparam("lead"))
    .values(assignee_id=bindparam("user"), updated_at=bindparam("now"))
)


class _Current:
    def __init__(self) -> None:
        self.assignee: dict[int, int | None] = {}
        self.unassigned: set[int] = set()


def _assignees(connection: Connection, lead_ids: list[int]) -> _Current:
    """Each lead's assignee, and which leads nobody (no person, no policy) has assigned."""
    recorded = exists().where(lead_assignments.c.lead_id == leads.c.id)
    query = select(leads.c.id, leads.c.assignee_id, recorded).where(Among(leads.c.id, "ids"))
    found = _Current()
    for lead_id, assignee_id, has_record in connection.execute(query, {"ids": lead_ids}):
        found.assignee[lead_id] = assignee_id
        if assignee_id is None and not has_record:
            found.unassigned.add(lead_id)
    return found


def _record(
    lead_id: int, contact_id: int, team_id: int, choice: Choice, now: datetime
) -> dict[str, object]:
    return {
        "lead_id": lead_id, "contact_id": contact_id, "team_id": team_id,
        "user_id": choice.user_id, "policy": choice.by.value, "reason": choice.reason,
        "by_user_id": None, "at": now,
    }  # fmt: skip


def _announcement(lead_id: int, contact_id: int, team_id: int, choice: Choice) -> dict[str, object]:
    payload = {
        "lead_id": lead_id, "contact_id": contact_id, "assignee_id": choice.user_id,
        "team_id": team_id, "policy": choice.by.value, "reason": choice.reason,
    }  # fmt: skip
    return {"topic": Topic.LEAD_ASSIGNED.value, "lead_id": lead_id, "payload": payload}


def _queue_mail(
    connection: Connection,
    delivered: dict[int, list[int]],
    contact_of: dict[int, int],
    assignees: dict[int, int | None],
    plans: dict[int, TeamPlan],
    *,
    now: datetime,
) -> None:
    """A mail queue row per lead and recipient; the unique key keeps a second one out."""
    mailing = {t for t, plan in plans.items() if plan.notify_mode is not NotifyMode.OFF}
    if not mailing:
        return
    members = _active_members(connection, mailing)
    opted_out = set(connection.scalars(select(mail_opt_outs.c.user_id)))
    rows, seen = [], set()
    for lead_id, team_ids in delivered.items():
        for team_id in (t for t in team_ids if t in mailing):
            plan = plans[team_id]
            due = notify.due_at(plan.notify_mode, now=now, digest_minutes=plan.digest_minutes)
            for user_id in notify.recipients(
                assignee_id=assignees.get(lead_id),
                member_ids=members.get(team_id, []),
                opted_out=opted_out,
            ):
                if (lead_id, user_id) in seen:  # a member of two of the lead's teams
                    continue
                seen.add((lead_id, user_id))
                rows.append(
                    {"lead_id": lead_id, "contact_id": contact_of[lead_id], "user_id": user_id,
                     "team_id": team_id, "kind": plan.notify_mode.value, "due_at": due,
                     "attempts": 0, "created_at": now}
                )  # fmt: skip
    if rows:
        connection.execute(InsertIgnoringConflicts(mail_queue), rows)


def _active_members(connection: Connection, team_ids: set[int]) -> dict[int, list[int]]:
    query = (
        select(team_members.c.team_id, team_members.c.user_id)
        .join(users, users.c.id == team_members.c.user_id)
        .where(Among(team_members.c.team_id, "ids"), users.c.active.is_(True))
        .order_by(team_members.c.team_id, team_members.c.user_id)
    )
    found: dict[int, list[int]] = {}
    for team_id, user_id in connection.execute(query, {"ids": sorted(team_ids)}).tuples():
        found.setdefault(team_id, []).append(user_id)
    return found
