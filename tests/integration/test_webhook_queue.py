"""The fan-out's queue: outbox rows are found by the absence of their fan-out mark, however
many marked rows come before them, and a mark taken meanwhile takes a row out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from leadstreams.services.context import Context
from leadstreams.store import leads as leads_store
from leadstreams.store import webhook_queue as queue
from leadstreams.store.tables import outbox


def test_only_rows_without_a_mark_are_queued(ctx: Context) -> None:
    now = ctx.clock.now()
    since = now - timedelta(hours=1)
    with ctx.uow() as uow:
        rows = [{"topic": "lead.created", "lead_id": None, "payload": {"n": n}} for n in range(3)]
        leads_store.add_outbox_rows(uow.connection, rows, at=now)
        first, second, third = uow.connection.scalars(select(outbox.c.id).order_by(outbox.c.id))
        assert queue.any_unannounced(uow.connection, since=since)
        queue.mark_announced(uow.connection, ids=[first, second], bodies={first: "b"}, at=now)

        # the marked rows come first, yet a page of one is the unmarked row
        [found] = queue.unannounced(uow.connection, since=since, limit=1)
        assert found.id == third
        assert queue.still_unannounced(uow.connection, ids=[first, second, third]) == {third}
        # the window includes its first instant, and nothing before it
        assert [row.id for row in queue.unannounced(uow.connection, since=now, limit=9)] == [third]
        assert queue.unannounced(uow.connection, since=now + timedelta(seconds=1), limit=9) == []

        queue.mark_announced(uow.connection, ids=[third], bodies={}, at=now)
        assert not queue.any_unannounced(uow.connection, since=since)
        marks = select(outbox.c.id, outbox.c.fanned_out_at, outbox.c.webhook_body)
        assert {row.id: row[1:] for row in uow.connection.execute(marks)} == {
            first: (now, "b"),
            second: (now, None),
            third: (now, None),
        }
