"""The live feed of lead changes: outbox rows after a cursor, filtered to what a user may see.

It reads the outbox, which is written in the transaction that made each change: a change
appears only after its commit, in commit order of ids, and whichever server process made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadstreams.domain.topics import SEEN_BY
from leadstreams.schemas.common import id_from_text
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.store import board as board_store
from leadstreams.store import outbox as outbox_store
from leadstreams.store.outbox import Change
from leadstreams.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class FeedItem:
    id: int
    topic: str
    data: dict[str, Any]


def start_cursor(ctx: Context, *, last_event_id: str | None) -> int:
    """Resume after `Last-Event-ID`; a new reader starts with what happens from now on."""
    resume_after = id_from_text(last_event_id or "", lowest=0)  # 0: from the first change
    if resume_after is not None:
        return resume_after
    with ctx.uow(read_only=True) as uow:
        return latest(uow)


def latest(uow: UnitOfWork) -> int:
    """The cursor of the newest change: a reader starting here sees what happens next."""
    return outbox_store.latest_id(uow.connection)


@dataclass(frozen=True, slots=True)
class FeedRead:
    items: list[FeedItem]
    cursor: int  # read from here next
    more: bool  # the read stopped at its limit: more changes are waiting


def read(ctx: Context, *, who: Principal, after: int, limit: int = 500) -> FeedRead:
    """The items after `after` that `who` may see, and the cursor to read from next."""
    with ctx.uow(read_only=True) as uow:
        changes = outbox_store.after(uow.connection, last_id=after, limit=limit)
        lead_ids = sorted({c.lead_id for c in changes if c.lead_id is not None})
        teams = board_store.team_ids_of_leads(uow.connection, lead_ids=lead_ids)
    cursor = changes[-1].id if changes else after
    return FeedRead(items_for(who, changes, teams), cursor, more=len(changes) == limit)


def items_for(who: Principal, changes: list[Change], teams: dict[int, list[int]]) -> list[FeedItem]:
    """The changes `who` may see, each with the teams of its lead (`teams`, by lead id) and
    the teams that saw it before the change (a cleared lead has no team left, yet the boards
    that showed it must hear that it left)."""
    items = []
    for change in changes:
        team_ids = [] if change.lead_id is None else teams.get(change.lead_id, [])
        seen_by = change.payload.get(SEEN_BY, [])
        if who.sees_all_leads or set(team_ids + seen_by) & set(who.team_ids):
            items.append(FeedItem(change.id, change.topic, change.payload | {"team_ids": team_ids}))
    return items
