"""Reading the outbox: what changed after a given row, for live feeds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from leadstreams.store.tables import outbox


@dataclass(frozen=True, slots=True)
class Change:
    """An outbox row as the live feed reads it."""

    id: int
    topic: str
    lead_id: int | None
    payload: dict[str, Any]


def latest_id(connection: Connection) -> int:
    return connection.scalar(select(func.max(outbox.c.id))) or 0


_CHANGE = (outbox.c.id, outbox.c.topic, outbox.c.lead_id, outbox.c.payload)


def after(connection: Connection, *, last_id: int, limit: int) -> list[Change]:
    query = select(*_CHANGE).where(outbox.c.id > last_id).order_by(outbox.c.id).limit(limit)
    return [Change(*row) for row in connection.execute(query)]
