"""Webhooks sent by the worker, at least once, after the commit, to a real HTTP receiver
started by the test; every delivery verified with `standardwebhooks`' own `Webhook.verify`."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from leadstreams.domain.roles import Role
from leadstreams.domain.topics import Topic
from leadstreams.schemas.webhooks import WebhookCreate, WebhookUpdate
from leadstreams.services import fetch_history, leads, streams, webhooks
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.services.webhook_sender import Sender, fan_out, running, send_due
from leadstreams.store import webhook_queue as queue
from leadstreams.store.tables import webhook_attempts, webhook_deliveries
from leadstreams.store.webhook_queue import Attempt, DeliveryUpdate
from tests.support import builders
from tests.support.receiver import Receiver
from tests.support.webhooks import SECRET, make_leads, message_ids, subscribe, verified


@pytest.fixture
def hooks(ctx: Context) -> Context:
    """The context with private targets allowed: the receiver listens on 127.0.0.1."""
    return replace(ctx, settings=ctx.settings.model_copy(update={"webhook_allow_private": True}))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.release.set()
    found.stop()


def test_every_delivery_arrives_once_through_503s_an_outage_and_a_recovery(
    hooks: Context, receiver: Receiver
) -> None:
    subscribe(hooks, receiver.url)
    lead_ids = make_leads(hooks, 3)
    receiver.answer_next(503, times=2)

    send_due(hooks)  # two answers 503, one 200
    assert len(receiver.accepted) == 1
    receiver.stop()  # down: connection refused
    hooks.clock.advance(minutes=1)  # type: ignore[attr-defined]
    send_due(hooks)
    hooks.clock.advance(minutes=5)  # type: ignore[attr-defined]
    send_due(hooks)
    assert len(receiver.accepted) == 1
    receiver.start()  # up again, on the same port
    hooks.clock.advance(hours=1)  # type: ignore[attr-defined]
    send_due(hooks)
    hooks.clock.advance(hours=1)  # type: ignore[attr-defined]
    send_due(hooks)

    delivered = verified(receiver)
    assert set(delivered) == message_ids(hooks) and len(delivered) == 3
    with hooks.uow(read_only=True) as uow:
        rendered = leads.render_leads(uow, lead_ids=lead_ids)
    for body in delivered.values():
        assert body["type"] == "lead.created"
        lead = body["data"]["lead"]  # type: ignore[index]
        assert lead == rendered[lead["id"]].model_dump(mode="json")


def test_the_delivery_log_shows_each_attempt_and_webhook_id_is_stable(
    hooks: Context, receiver: Receiver
) -> None:
    hook = subscribe(hooks, receiver.url)
    make_leads(hooks, 1)
    receiver.answer_next(503, {"retry-after": "120"})
    send_due(hooks)
    hooks.clock.advance(seconds=60)  # type: ignore[attr-defined]
    assert send_due(hooks) == 0  # Retry-After: 120 is honoured over the 5 s of the schedule
    hooks.clock.advance(seconds=61)  # type: ignore[attr-defined]
    send_due(hooks)

    [delivery] = webhooks.list_deliveries(hooks, subscription_id=hook).items
    assert delivery.status == "delivered" and delivery.next_attempt_at is None
    assert [a.status_code for a in delivery.attempts] == [503, 200]
    assert delivery.attempts[1].answer == "ok"
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {delivery.webhook_id}


def test_a_delivery_fails_after_the_retry_window_and_send_again_keeps_its_id(
    hooks: Context, receiver: Receiver
) -> None:
    hook = subscribe(hooks, receiver.url)
    make_leads(hooks, 1)
    receiver.stop()
    for _ in range(20):  # a day of retries, each refused
        send_due(hooks)
        hooks.clock.advance(hours=2, minutes=30)  # type: ignore[attr-defined]
    [delivery] = webhooks.list_deliveries(hooks, subscription_id=hook).items
    assert delivery.status == "failed" and 5 <= len(delivery.attempts) <= 15
    assert webhooks.get_subscription(hooks, subscription_id=hook).failing

    receiver.start()
    again = webhooks.retry_delivery(hooks, subscription_id=hook, delivery_id=delivery.id)
    assert again.status == "pending"
    send_due(hooks)
    assert list(verified(receiver)) == [delivery.webhook_id]


def test_410_disables_the_subscription_and_a_3xx_is_not_followed(
    hooks: Context, receiver: Receiver
) -> None:
    gone = subscribe(hooks, receiver.url)
    make_leads(hooks, 1)
    receiver.answer_next(410)
    send_due(hooks)
    paused = webhooks.get_subscription(hooks, subscription_id=gone)
    assert not paused.active and "410" in (paused.disabled_reason or "")

    moved = subscribe(hooks, receiver.url + "?second")
    builders.event(hooks, "late@example.com", properties={"form": "Contact us"})
    receiver.answer_next(302, {"location": receiver.url + "/elsewhere"})
    send_due(hooks)
    [delivery] = webhooks.list_deliveries(hooks, subscription_id=moved).items
    assert delivery.status == "failed" and [a.status_code for a in delivery.attempts] == [302]
    assert not any("/elsewhere" in str(r.headers) for r in receiver.received)
    # the disabled subscription is sent nothing new; resumed, it gets what waited
    statuses = [d.status for d in webhooks.list_deliveries(hooks, subscription_id=gone).items]
    assert statuses == ["pending", "failed"]
    resumed = webhooks.update_subscription(
        hooks, subscription_id=gone, data=WebhookUpdate(active=True)
    )
    assert resumed.active and resumed.disabled_reason is None
    send_due(hooks)
    statuses = [d.status for d in webhooks.list_deliveries(hooks, subscription_id=gone).items]
    assert statuses == ["delivered", "failed"]


def test_a_team_filter_and_the_events_chosen_decide_what_is_sent(
    hooks: Context, receiver: Receiver
) -> None:
    nordics, dach = builders.team(hooks, "Nordics"), builders.team(hooks, "DACH")
    only_dach = webhooks.create_subscription(
        hooks,
        data=WebhookCreate(url=receiver.url, events=[Topic.LEAD_CREATED], team_id=dach),  # type: ignore[arg-type]
    ).id
    only_stage = webhooks.create_subscription(
        hooks,
        data=WebhookCreate(url=receiver.url, events=[Topic.LEAD_STAGE_CHANGED]),  # type: ignore[list-item]
    ).id
    make_leads(hooks, 2, team_id=nordics)
    send_due(hooks)
    assert webhooks.list_deliveries(hooks, subscription_id=only_dach).items == []
    assert webhooks.list_deliveries(hooks, subscription_id=only_stage).items == []
    assert receiver.received == []


def test_during_a_rotation_both_secrets_sign(hooks: Context, receiver: Receiver) -> None:
    hook = subscribe(hooks, receiver.url)
    rotated = webhooks.rotate_secret(hooks, subscription_id=hook)
    make_leads(hooks, 1)
    send_due(hooks)
    [request] = receiver.accepted
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (SECRET, rotated.secret):
        Webhook(secret).verify(request.body, request.headers)

    hooks.clock.advance(hours=25)  # type: ignore[attr-defined]
    builders.event(hooks, "next@example.com", properties={"form": "Contact us"})
    send_due(hooks)
    later = receiver.accepted[-1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    Webhook(rotated.secret).verify(later.body, later.headers)


def test_a_private_target_is_refused_at_send_time_unless_allowed(
    hooks: Context, receiver: Receiver
) -> None:
    hook = subscribe(hooks, receiver.url)  # allowed when it was made
    make_leads(hooks, 1)
    strict = replace(
        hooks, settings=hooks.settings.model_copy(update={"webhook_allow_private": False})
    )
    send_due(strict)
    [delivery] = webhooks.list_deliveries(hooks, subscription_id=hook).items
    assert delivery.status == "pending" and receiver.received == []
    assert "refused" in (delivery.attempts[0].error or "")


def test_two_senders_at_once_send_nothing_twice(hooks: Context, receiver: Receiver) -> None:
    subscribe(hooks, receiver.url)
    subscribe(hooks, receiver.url + "?b")
    make_leads(hooks, 12)
    senders = [Sender(hooks, name=f"w{n}") for n in range(2)]
    start = threading.Barrier(2)

    def run(sender: Sender) -> None:
        start.wait()
        send_due(hooks, sender=sender)

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for sender in senders:
        sender.close()
    counts = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert set(counts) == message_ids(hooks) and len(counts) == 24
    assert set(counts.values()) == {1}


def test_a_paused_subscription_is_sent_nothing_until_resumed_then_what_waited(
    hooks: Context, receiver: Receiver
) -> None:
    hook = subscribe(hooks, receiver.url)
    make_leads(hooks, 1)
    webhooks.update_subscription(hooks, subscription_id=hook, data=WebhookUpdate(active=False))
    builders.event(hooks, "paused@example.com", properties={"form": "Contact us"})
    send_due(hooks)
    assert receiver.received == []
    webhooks.update_subscription(hooks, subscription_id=hook, data=WebhookUpdate(active=True))
    send_due(hooks)
    assert len(verified(receiver)) == 2


def test_a_changed_lead_is_sent_with_its_change(hooks: Context, receiver: Receiver) -> None:
    subscribe(hooks, receiver.url)
    [lead_id] = make_leads(hooks, 1)
    from leadstreams.schemas.leads import LeadUpdate
    from leadstreams.services.auth import principal
    from leadstreams.store import users as users_store

    admin = builders.user(hooks, "boss@example.com", role="admin")
    with hooks.uow(read_only=True) as uow:
        assert users_store.get(uow.connection, user_id=admin) is not None
    leads.update_lead(
        hooks,
        who=principal(hooks, user_id=admin),
        lead_id=lead_id,
        data=LeadUpdate(stage="sql"),  # type: ignore[arg-type]
    )
    send_due(hooks)
    bodies = sorted(verified(receiver).values(), key=lambda b: str(b["type"]))
    assert [b["type"] for b in bodies] == ["lead.created", "lead.stage_changed"]
    assert bodies[1]["data"]["change"] == {"from": "mql", "to": "sql"}  # type: ignore[index]
    assert bodies[1]["data"]["lead"]["stage"] == "sql"  # type: ignore[index]


def test_outbox_rows_from_before_a_subscription_are_not_sent(
    hooks: Context, receiver: Receiver
) -> None:
    make_leads(hooks, 2)
    hooks.clock.advance(seconds=1)  # type: ignore[attr-defined]
    subscribe(hooks, receiver.url)
    send_due(hooks)
    assert receiver.received == [] and message_ids(hooks) == set()


def test_a_delivery_left_in_the_hand_past_its_time_is_not_sent_until_its_lease_ends(
    hooks: Context, receiver: Receiver
) -> None:
    subscribe(hooks, receiver.url)
    make_leads(hooks, 2)
    late = Sender(hooks, name="late")
    late._start_within = -1.0  # every claim is already too old to start
    send_due(hooks, sender=late)
    late.close()
    assert receiver.received == []  # claimed, never sent: its request could outlive the lease
    assert send_due(hooks) == 0  # the lease still holds
    hooks.clock.advance(seconds=hooks.settings.webhook_lease_seconds + 1)  # type: ignore[attr-defined]
    send_due(hooks)
    assert len(verified(receiver)) == 2


def test_a_sender_that_outlived_its_lease_overwrites_nothing_another_recorded(
    hooks: Context, receiver: Receiver
) -> None:
    subscribe(hooks, receiver.url)
    make_leads(hooks, 2)
    fan_out(hooks)
    lease = hooks.settings.webhook_lease_seconds
    now = hooks.clock.now()
    with hooks.uow() as uow:
        slow = queue.claim_due(uow.connection, now=now, lease_until=now + timedelta(seconds=lease),
                               owner="slow", limit=10, skip_subscriptions=[])  # fmt: skip
        uow.commit()
    assert len(slow) == 2
    hooks.clock.advance(seconds=lease + 1)  # type: ignore[attr-defined]
    send_due(hooks)  # another sender claims them after the lease and delivers
    assert len(verified(receiver)) == 2
    late = [(Attempt(due.id, now, 503, None, 9, "late"), DeliveryUpdate("pending", now, None, 503))
            for due in slow]  # fmt: skip
    with hooks.uow() as uow:
        assert queue.record_attempts(uow.connection, owner="slow", attempts=late) == set()
        uow.commit()
    with hooks.uow(read_only=True) as uow:
        rows = uow.connection.execute(
            select(webhook_deliveries.c.status, webhook_deliveries.c.attempt_count)
        ).all()
        logged = uow.connection.scalar(select(func.count()).select_from(webhook_attempts))
    assert sorted(map(tuple, rows)) == [("delivered", 1), ("delivered", 1)] and logged == 2


def test_a_cleared_lead_is_sent_to_the_team_that_had_it(hooks: Context, receiver: Receiver) -> None:
    """After the clear the lead has no team left: the teams it had before still hear of it."""
    nordics, dach = builders.team(hooks, "Nordics"), builders.team(hooks, "DACH")
    events = [Topic.LEAD_CLEARED]
    theirs = webhooks.create_subscription(
        hooks, data=WebhookCreate(url=receiver.url, events=events, team_id=nordics, secret=SECRET)
    ).id
    others = webhooks.create_subscription(
        hooks, data=WebhookCreate(url=receiver.url, events=events, team_id=dach, secret=SECRET)
    ).id
    [lead_id] = make_leads(hooks, 1, team_id=nordics)
    stream_id = leads.get_lead(hooks, who=_admin(), lead_id=lead_id).matches[0].stream_id
    streams.set_active(hooks, stream_id=stream_id, active=False, user_id=None)
    fetch_history.clear_stream(hooks, stream_id=stream_id, user_id=None)
    send_due(hooks)
    assert webhooks.list_deliveries(hooks, subscription_id=others).items == []
    [sent] = verified(receiver).values()
    assert sent["type"] == "lead.cleared"
    change = sent["data"]["change"]  # type: ignore[index]
    assert (change["stream_id"], change["left_board"]) == (stream_id, True)
    assert [d.type for d in webhooks.list_deliveries(hooks, subscription_id=theirs).items] == [
        "lead.cleared"
    ]


def _admin() -> Principal:
    return Principal(0, "admin@example.com", "admin", Role.ADMIN, ())


def test_a_change_committed_in_this_process_is_sent_without_waiting_for_the_poll(
    hooks: Context, receiver: Receiver
) -> None:
    settings = hooks.settings.model_copy(update={"webhook_poll_seconds": 60.0})
    patient = replace(hooks, settings=settings)
    subscribe(patient, receiver.url)
    with running(patient, stop=threading.Event(), name="prompt"):
        time.sleep(0.3)  # its first look found nothing: it waits, the poll being a minute
        make_leads(patient, 1)
        deadline = time.monotonic() + 20
        while not receiver.accepted:
            assert time.monotonic() < deadline, "the sender waited for its poll"
            time.sleep(0.05)
    assert len(verified(receiver)) == 1


def test_a_receiver_that_holds_every_request_does_not_hold_up_another_subscription(
    hooks: Context, receiver: Receiver
) -> None:
    slow = Receiver()
    try:
        slow.hold()
        subscribe(hooks, slow.url)
        subscribe(hooks, receiver.url)
        make_leads(hooks, 12)  # 12 deliveries each, more than the slow one's share of slots
        with running(hooks, stop=threading.Event(), name="two"):
            deadline = time.monotonic() + 8  # before the held requests time out (10 s)
            while len(receiver.accepted) < 12:
                assert time.monotonic() < deadline, "the held receiver held up the other one"
                time.sleep(0.05)
            assert slow.held.is_set() and not slow.accepted
            slow.release.set()
        assert len(verified(receiver)) == 12
    finally:
        slow.release.set()
        slow.stop()
