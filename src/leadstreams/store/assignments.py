"""A lead's assignment history: every assignment, by a person or a team's policy, and why."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from leadstreams.store.sql import Among
from leadstreams.store.tables import lead_assignments


@dataclass(frozen=True, slots=True)
class Assignment:
    id: int
    lead_id: int
    team_id: int | None
    user_id: int | None  # None: left unassigned
    policy: str  # domain.assignment.AssignedBy
    reason: str
    by_user_id: int | None
    at: datetime


_COLUMNS = tuple(lead_assignments.c[name] for name in Assignment.__dataclass_fields__)


def record_by_hand(
    connection: Connection,
    *,
    lead_id: int,
    contact_id: int,
    user_id: int | None,
    by_user_id: int,
    at: datetime,
) -> None:
    connection.execute(
        insert(lead_assignments).values(
            lead_id=lead_id, contact_id=contact_id, team_id=None, user_id=user_id, policy="hand",
            reason="assigned by hand" if user_id is not None else "unassigned by hand",
            by_user_id=by_user_id, at=at,
        )
    )  # fmt: skip


def of_lead(connection: Connection, *, lead_id: int) -> list[Assignment]:
    query = (
        select(*_COLUMNS)
        .where(lead_assignments.c.lead_id == lead_id)
        .order_by(lead_assignments.c.id)
    )
    return [Assignment(*row) for row in connection.execute(query)]


def latest_of(connection: Connection, *, lead_ids: Collection[int]) -> dict[int, Assignment]:
    """The last assignment of each of these leads that has one (the board's cards)."""
    if not lead_ids:
        return {}
    last = (
        select(func.max(lead_assignments.c.id))
        .where(Among(lead_assignments.c.lead_id, "ids"))
        .group_by(lead_assignments.c.lead_id)
    )
    query = select(*_COLUMNS).where(lead_assignments.c.id.in_(last))
    found = connection.execute(query, {"ids": sorted(lead_ids)})
    return {row.lead_id: Assignment(*row) for row in found}
