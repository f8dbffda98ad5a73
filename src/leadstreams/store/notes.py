"""A lead's notes: what sales write on its card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from leadstreams.store.tables import lead_notes


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    lead_id: int
    user_id: int | None
    text: str
    created_at: datetime


def add(
    connection: Connection, *, lead_id: int, user_id: int | None, text: str, at: datetime
) -> Note:
    result = connection.execute(
        insert(lead_notes).values(lead_id=lead_id, user_id=user_id, text=text, created_at=at)
    )
    note_id: int = result.inserted_primary_key[0]  # type: ignore[index]
    return Note(note_id, lead_id, user_id, text, at)


_NOTE = tuple(lead_notes.c[name] for name in Note.__dataclass_fields__)


def of_lead(connection: Connection, *, lead_id: int) -> list[Note]:
    query = select(*_NOTE).where(lead_notes.c.lead_id == lead_id).order_by(lead_notes.c.id)
    return [Note(*row) for row in connection.execute(query)]
