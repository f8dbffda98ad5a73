"""A lead's stage changes: every move, who made it and when (product spec, rule 5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.engine import Connection

from leadstreams.store.tables import lead_stage_changes


def record(
    connection: Connection, *, lead_id: int, old: str, new: str, user_id: int | None, at: datetime
) -> None:
    connection.execute(
        insert(lead_stage_changes).values(
            lead_id=lead_id, from_stage=old, to_stage=new, user_id=user_id, at=at
        )
    )


def of_lead(connection: Connection, *, lead_id: int) -> list[RowMapping]:
    query = (
        select(lead_stage_changes)
        .where(lead_stage_changes.c.lead_id == lead_id)
        .order_by(lead_stage_changes.c.id)
    )
    return list(connection.execute(query).mappings())
