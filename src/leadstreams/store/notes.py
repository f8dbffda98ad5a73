"""A lead's notes: what sales write on its card."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.engine import Connection

from leadstreams.store.tables import lead_notes


def add(
    connection: Connection, *, lead_id: int, user_id: int | None, text: str, at: datetime
) -> int:
    result = connection.execute(
        insert(lead_notes).values(lead_id=lead_id, user_id=user_id, text=text, created_at=at)
    )
    note_id: int = result.inserted_primary_key[0]  # type: ignore[index]
    return note_id


def of_lead(connection: Connection, *, lead_id: int) -> list[RowMapping]:
    query = select(lead_notes).where(lead_notes.c.lead_id == lead_id).order_by(lead_notes.c.id)
    return list(connection.execute(query).mappings())
