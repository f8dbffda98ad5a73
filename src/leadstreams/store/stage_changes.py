"""A lead's stage changes: every move, who made it and when (product spec, rule 5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from leadstreams.store.tables import lead_stage_changes


@dataclass(frozen=True, slots=True)
class StageChange:
    id: int
    lead_id: int
    from_stage: str | None  # None: the lead's creation
    to_stage: str
    user_id: int | None  # None: made by the service, not a user
    at: datetime
    lost_reason: str | None  # with a move to lost


def record(
    connection: Connection,
    *,
    lead_id: int,
    old: str,
    new: str,
    user_id: int | None,
    at: datetime,
    lost_reason: str | None = None,
) -> None:
    connection.execute(
        insert(lead_stage_changes).values(
            lead_id=lead_id,
            from_stage=old,
            to_stage=new,
            user_id=user_id,
            at=at,
            lost_reason=lost_reason,
        )
    )


_CHANGE = tuple(lead_stage_changes.c[name] for name in StageChange.__dataclass_fields__)


def of_lead(connection: Connection, *, lead_id: int) -> list[StageChange]:
    query = (
        select(*_CHANGE)
        .where(lead_stage_changes.c.lead_id == lead_id)
        .order_by(lead_stage_changes.c.id)
    )
    return [StageChange(*row) for row in connection.execute(query)]
