"""The reasons the board offers for a move to Lost: the list admins keep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from leadstreams.store.tables import lost_reasons


@dataclass(frozen=True, slots=True)
class LostReason:
    id: int
    label: str
    created_at: datetime


_REASON = tuple(lost_reasons.c[name] for name in LostReason.__dataclass_fields__)


def all_reasons(connection: Connection) -> list[LostReason]:
    """In the order they were added: the order the board's list shows."""
    return [LostReason(*row) for row in connection.execute(select(*_REASON).order_by("id"))]


def find(connection: Connection, *, label: str) -> LostReason | None:
    query = select(*_REASON).where(func.lower(lost_reasons.c.label) == label.lower())
    row = connection.execute(query).first()
    return None if row is None else LostReason(*row)


def add(connection: Connection, *, label: str, at: datetime) -> LostReason:
    statement = insert(lost_reasons).values(label=label, created_at=at).returning(*_REASON)
    return LostReason(*connection.execute(statement).one())


def remove(connection: Connection, *, reason_id: int) -> bool:
    found = connection.execute(delete(lost_reasons).where(lost_reasons.c.id == reason_id))
    return found.rowcount == 1
