"""At least once, across processes and transactions: a sender killed with SIGKILL between
claiming and sending, a lower outbox id that commits after a higher one was fanned out, and
the sender beside the job worker, which a slow receiver never holds up."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, select

from leadstreams.clock import FixedClock
from leadstreams.config import Settings
from leadstreams.domain.topics import Topic
from leadstreams.services import fetch_history, webhooks
from leadstreams.services.context import Context
from leadstreams.services.webhook_sender import send_due
from leadstreams.store import leads as leads_store
from leadstreams.store.database import Database
from leadstreams.store.tables import outbox, streams
from leadstreams.worker import in_background
from tests.support.receiver import HELD, Receiver
from tests.support.service import START, make_context, reset
from tests.support.webhooks import make_leads, message_ids, subscribe, verified

PATIENCE = 30.0  # seconds to wait for another process or thread before failing


@pytest.fixture
def receiver() -> Any:
    found = Receiver()
    yield found
    found.release.set()
    found.stop()


def _allowing_private(ctx: Context) -> Context:
    return replace(ctx, settings=ctx.settings.model_copy(update={"webhook_allow_private": True}))


def _send_in_child(url: str) -> None:
    """A worker process: claims and sends (its receiver holds the request; it is killed)."""
    settings = Settings(database_url=url, secret_key="x" * 32, webhook_allow_private=True)
    ctx = Context(settings=settings, database=Database.at(url), clock=FixedClock(START))
    send_due(ctx, name="doomed")


def test_a_sender_killed_between_claim_and_send_still_delivers(
    ctx: Context, engine: Engine, receiver: Receiver
) -> None:
    hooks = _allowing_private(ctx)
    subscribe(hooks, receiver.url)
    make_leads(hooks, 1)
    receiver.hold()
    child = multiprocessing.get_context("spawn").Process(
        target=_send_in_child, args=(engine.url.render_as_string(hide_password=False),)
    )
    child.start()
    assert receiver.held.wait(PATIENCE), "the child never sent"
    os.kill(child.pid or 0, signal.SIGKILL)
    child.join(PATIENCE)
    receiver.release.set()
    assert child.exitcode == -signal.SIGKILL

    assert send_due(hooks) == 0  # the dead sender's lease still holds
    hooks.clock.advance(seconds=hooks.settings.webhook_lease_seconds + 1)  # type: ignore[attr-defined]
    assert send_due(hooks) > 0
    [held] = [r for r in receiver.received if r.status == HELD]
    delivered = verified(receiver)
    assert list(delivered) == [held.headers["webhook-id"]]
    assert set(delivered) == message_ids(hooks)


@pytest.mark.postgres
def test_a_lower_outbox_id_committing_late_is_still_sent(
    postgres_engine: Engine, receiver: Receiver
) -> None:
    reset(postgres_engine)
    url = postgres_engine.url.render_as_string(hide_password=False)
    hooks = _allowing_private(make_context(postgres_engine, url))
    subscribe(hooks, receiver.url)
    [lead_id] = make_leads(hooks, 1)
    now = hooks.clock.now()

    def announce(connection: Any, to: str) -> None:
        payload = {"lead_id": lead_id, "from": "mql", "to": to}
        leads_store.add_outbox(
            connection, topic=Topic.LEAD_STAGE_CHANGED, lead_id=lead_id, payload=payload, at=now
        )

    with hooks.uow() as early:
        announce(early.connection, "sql")  # the lower id, held open
        with hooks.uow() as late:
            announce(late.connection, "won")
            late.commit()
        send_due(hooks)  # sends the lead's creation and the higher id
        assert _sent_changes(receiver) == {None, "won"}
        early.commit()
    send_due(hooks)
    assert _sent_changes(receiver) == {None, "won", "sql"}
    with hooks.uow(read_only=True) as uow:
        outbox_ids = dict(
            uow.connection.execute(
                select(outbox.c.webhook_body, outbox.c.id).where(outbox.c.webhook_body.is_not(None))
            ).all()
        )
    by_change = {'"to":"sql"' in body: outbox_id for body, outbox_id in outbox_ids.items()}
    assert by_change[True] < max(outbox_ids.values())  # it was the lower id


def _sent_changes(receiver: Receiver) -> set[str | None]:
    """The stages moved to, of the changes received (None: the lead's creation); `verified`
    fails on a second copy of any."""
    return {body["data"]["change"].get("to") for body in verified(receiver).values()}  # type: ignore[index,union-attr]


def test_the_worker_sends_and_a_held_receiver_delays_no_job(
    ctx: Context, receiver: Receiver
) -> None:
    hooks = _allowing_private(ctx)
    subscribe(hooks, receiver.url)
    receiver.hold()
    with in_background(hooks, name="test-worker"):
        make_leads(hooks, 1)
        assert receiver.held.wait(PATIENCE), "the worker never sent"
        # the receiver holds the request; a fetch-history job still runs to its end
        with hooks.uow(read_only=True) as uow:
            stream_id = uow.connection.scalar(select(streams.c.id))
        job = fetch_history.start_fetch_history(hooks, stream_id=stream_id, user_id=None)
        deadline = time.monotonic() + PATIENCE
        while fetch_history.get_job(hooks, job_id=job.id).status != "done":
            assert time.monotonic() < deadline, "the job waited for the receiver"
            time.sleep(0.05)
        assert not receiver.release.is_set()  # still held while the job finished
        receiver.release.set()
    assert [r.status for r in receiver.received] == [HELD]
    assert webhooks.list_subscriptions(hooks)[0].pending == 1
