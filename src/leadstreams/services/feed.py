"""The live feed of lead changes: outbox rows after a cursor, filtered to what a user may see.

It reads the outbox, which is written in the transaction that made each change: a change
appears only after its commit, in commit order of ids, and whichever server process made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.store import board as board_store
from leadstreams.store import outbox as outbox_store
from leadstreams.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class FeedItem:
    id: int
    topic: str
    data: dict[str, Any]


def start_cursor(ctx: Context, *, last_event_id: str | None) -> int:
    """Resume after `Last-Event-ID`; a new reader starts with what happens from now on."""
    if last_event_id and last_event_id.isdigit():
        return int(last_event_id)
    with ctx.uow(read_only=True) as uow:
        return latest(uow)


def latest(uow: UnitOfWork) -> int:
    """The cursor of the newest change: a reader starting here sees what happens next."""
    return outbox_store.latest_id(uow.connection)


def read(
    ctx: Context, *, who: Principal, after: int, limit: int = 500
) -> tuple[list[FeedItem], int]:
    """The items after `after` that `who` may see, and the cursor to read from next."""
    with ctx.uow(read_only=True) as uow:
        changes = outbox_store.after(uow.connection, last_id=after, limit=limit)
        lead_ids = sorted({c.lead_id for c in changes if c.lead_id is not None})
        teams = board_store.team_ids_of_leads(uow.connection, lead_ids=lead_ids)
    cursor = changes[-1].id if changes else after
    items = [
        FeedItem(c.id, c.topic, dict(c.payload) | {"team_ids": _teams_of(teams, c.lead_id)})
        for c in changes
        if who.sees_all_leads or set(_teams_of(teams, c.lead_id)) & set(who.team_ids)
    ]
    return items, cursor


def _teams_of(teams: dict[int, list[int]], lead_id: int | None) -> list[int]:
    return [] if lead_id is None else teams.get(lead_id, [])
