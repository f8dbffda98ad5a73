"""The mail queue: a row per lead and recipient, written with the lead's delivery (see
`lead_delivery`), sent by the worker after the commit.

A worker claims due rows by moving their `due_at` a lease ahead and committing, then sends
outside any transaction (a slow mail server holds no lock), then marks them sent or due
again later. A worker that dies mid-way leaves its rows to be claimed again when the lease
runs out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from leadstreams.store.sql import Among
from leadstreams.store.tables import mail_opt_outs, mail_queue, users


@dataclass(frozen=True, slots=True)
class QueuedMail:
    id: int
    lead_id: int
    user_id: int
    team_id: int | None
    kind: str  # immediate | digest
    attempts: int
    email: str  # the recipient's
    name: str
    opted_out: bool


def claim_due(
    connection: Connection, *, now: datetime, lease_until: datetime, limit: int
) -> list[QueuedMail]:
    """Due unsent rows, taken for this worker until `lease_until`; on PostgreSQL rows another
    worker is claiming are skipped, not waited for."""
    due = (
        select(mail_queue.c.id)
        .where(mail_queue.c.sent_at.is_(None), mail_queue.c.due_at <= now)
        .order_by(mail_queue.c.due_at, mail_queue.c.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(connection.scalars(due))
    if not ids:
        return []
    connection.execute(
        update(mail_queue).where(Among(mail_queue.c.id, "ids")).values(due_at=lease_until),
        {"ids": ids},
    )
    opted_out = select(mail_opt_outs.c.user_id).where(
        mail_opt_outs.c.user_id == mail_queue.c.user_id
    )
    query = (
        select(
            mail_queue.c.id, mail_queue.c.lead_id, mail_queue.c.user_id, mail_queue.c.team_id,
            mail_queue.c.kind, mail_queue.c.attempts, users.c.email, users.c.name,
            opted_out.exists(),
        )
        .join(users, users.c.id == mail_queue.c.user_id)
        .where(Among(mail_queue.c.id, "ids"))
        .order_by(mail_queue.c.id)
    )  # fmt: skip
    return [QueuedMail(*row) for row in connection.execute(query, {"ids": ids})]


def mark_sent(
    connection: Connection, *, ids: Collection[int], at: datetime, note: str | None = None
) -> None:
    if ids:
        connection.execute(
            update(mail_queue)
            .where(Among(mail_queue.c.id, "ids"))
            .values(sent_at=at, last_error=note, attempts=mail_queue.c.attempts + 1),
            {"ids": sorted(ids)},
        )


def mark_failed(
    connection: Connection, *, ids: Collection[int], error: str, retry_at: datetime
) -> None:
    """Not sent: due again at `retry_at`, for as long as the mail server refuses."""
    if ids:
        connection.execute(
            update(mail_queue)
            .where(Among(mail_queue.c.id, "ids"))
            .values(due_at=retry_at, last_error=error[:1000], attempts=mail_queue.c.attempts + 1),
            {"ids": sorted(ids)},
        )
