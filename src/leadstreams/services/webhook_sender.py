"""Sending webhooks, after the commit, at least once (product spec rule 10).

Two steps, each in short transactions of its own, in a thread beside the job worker:

1. **Fan-out**: outbox rows that no fan-out has taken yet become one delivery per matching
   subscription, the body rendered as `GET /leads/{id}` renders the lead (services.leads),
   once per row and kept on the outbox row with its fan-out mark; all its deliveries send it.
2. **Sending**: due deliveries are claimed with a lease, sent by a pool of at most
   `webhook_concurrency` requests in flight, and their outcome recorded. A sender that dies
   mid-send leaves its lease to expire; the delivery is then claimed again (at least once:
   the receiver de-duplicates by `webhook-id`, which every attempt repeats).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from leadstreams.delivery.http import Outcome, make_client, send
from leadstreams.domain.topics import SEEN_BY
from leadstreams.domain.webhooks import (
    DeliveryStatus,
    Verdict,
    next_attempt,
    parse_retry_after,
    verdict,
    wants,
)
from leadstreams.schemas.leads import LeadRead
from leadstreams.services.context import Context
from leadstreams.services.leads import render_leads
from leadstreams.store import commits
from leadstreams.store import webhook_queue as queue
from leadstreams.store.uow import UnitOfWork
from leadstreams.store.webhook_queue import Announcement, Attempt, DeliveryUpdate, Due, Listener

log = logging.getLogger(__name__)

FAN_OUT_BATCH = 100  # outbox rows per fan-out transaction: on SQLite it holds the write lock
# (with 500, a backlog's fan-out held it up to ~0.8 s on a loaded machine, 0.2 s with 100)

# After a commit in this process, the next fan-out runs this soon after the last one: prompt,
# yet a stream of single-event commits is fanned out in batches, not a transaction each.
PROMPT_SECONDS = 0.05


def fan_out(ctx: Context, *, limit: int = FAN_OUT_BATCH) -> int:
    """Fan out up to `limit` outbox rows; how many were taken."""
    give_up = ctx.settings.webhook_give_up_seconds
    with ctx.uow(read_only=True) as uow:
        prepared = prepare_fan_out(uow, give_up_seconds=give_up, limit=limit)
    if prepared is None:
        return 0
    with ctx.uow() as uow:
        taken = fan_out_in(uow, prepared)
        uow.commit()
    return taken


@dataclass(frozen=True, slots=True)
class FanOut:
    """Outbox rows read and their deliveries made (bodies rendered, ids drawn), before the
    write transaction: it then only writes them."""

    row_ids: list[int]
    deliveries: dict[int, list[dict[str, Any]]]  # by outbox row id
    bodies: dict[int, str]  # by outbox row id: what each of its deliveries sends


def prepare_fan_out(
    uow: UnitOfWork, *, give_up_seconds: float, limit: int = FAN_OUT_BATCH
) -> FanOut | None:
    """The outbox rows no fan-out has taken yet, each with a delivery per subscription that
    wants it, the body rendered once per row as `GET /leads/{id}` renders its lead (None: no
    such row). Read in a transaction of its own, before the write: on SQLite the rendering,
    most of a fan-out's time, then holds no write lock that ingestion waits for."""
    now = uow.clock.now()
    window = now - timedelta(seconds=give_up_seconds)
    if not queue.any_unannounced(uow.connection, since=window):
        return None
    rows = queue.unannounced(uow.connection, since=window, limit=limit, lock=False)
    if not rows:
        return None
    listeners = queue.listeners(uow.connection)
    wanted = [row for row in rows if row.lead_id is not None and _anyone(listeners, row)]
    leads = render_leads(uow, lead_ids=[row.lead_id for row in wanted if row.lead_id])
    gives_up_at = now + timedelta(seconds=give_up_seconds)
    deliveries: dict[int, list[dict[str, Any]]] = {}
    bodies: dict[int, str] = {}
    for row in wanted:
        lead = leads.get(row.lead_id) if row.lead_id is not None else None
        if lead is None:
            continue
        team_ids = [*lead.team_ids, *row.payload.get(SEEN_BY, [])]
        takers = [listener for listener in listeners if _wants(listener, row, team_ids)]
        if takers:
            bodies[row.id] = _body(row, lead)
            deliveries[row.id] = [
                _delivery(listener, row, lead, now, gives_up_at) for listener in takers
            ]
    return FanOut([row.id for row in rows], deliveries, bodies)


def fan_out_in(uow: UnitOfWork, prepared: FanOut) -> int:
    """The fan-out in the caller's transaction (which commits it): the prepared deliveries
    of the outbox rows no other fan-out took meanwhile, to the subscriptions not deleted
    since, and the rows marked as fanned out; how many rows."""
    still = queue.still_unannounced(uow.connection, ids=prepared.row_ids)
    existing = {listener.id for listener in queue.listeners(uow.connection)}
    new: list[dict[str, Any]] = []
    bodies: dict[int, str] = {}
    taken = [row_id for row_id in prepared.row_ids if row_id in still]  # in order
    for row_id in taken:
        kept = [d for d in prepared.deliveries.get(row_id, ()) if d["subscription_id"] in existing]
        new.extend(kept)
        if kept:
            bodies[row_id] = prepared.bodies[row_id]
    queue.add_deliveries(uow.connection, new)
    queue.mark_announced(uow.connection, ids=taken, bodies=bodies, at=uow.clock.now())
    return len(still)


def _wants(listener: Listener, row: Announcement, team_ids: list[int]) -> bool:
    return wants(
        events=listener.events,
        team_id=listener.team_id,
        subscribed_at=listener.created_at,
        topic=row.topic,
        changed_at=row.created_at,
        lead_team_ids=team_ids,
    )


def _anyone(listeners: list[Listener], row: Announcement) -> bool:
    return any(row.topic in listener.events for listener in listeners)


def _body(row: Announcement, lead: LeadRead) -> str:
    """The Standard Webhooks body: type, timestamp, data (the lead, and what changed)."""
    change = {k: v for k, v in row.payload.items() if k not in ("lead_id", "contact_id")}
    document = {
        "type": row.topic,
        "timestamp": row.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": {"lead": lead.model_dump(mode="json"), "change": change},
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def _delivery(
    listener: Listener,
    row: Announcement,
    lead: LeadRead,
    now: datetime,
    gives_up_at: datetime,
) -> dict[str, Any]:
    return {
        "subscription_id": listener.id,
        "outbox_id": row.id,
        "message_id": f"msg_{uuid.uuid4().hex}",
        "topic": row.topic,
        "lead_id": lead.id,
        "contact_id": lead.contact.id,
        "status": DeliveryStatus.PENDING.value,
        "attempt_count": 0,
        "next_attempt_at": now,
        "gives_up_at": gives_up_at,
        "created_at": now,
    }


def outcome_values(due: Due, outcome: Outcome, *, now: datetime) -> tuple[DeliveryUpdate, bool]:
    """The delivery's new state after an attempt, and whether the subscription is gone (410)."""
    found, code = verdict(outcome.status_code), outcome.status_code
    if found is Verdict.DELIVERED:
        return DeliveryUpdate(DeliveryStatus.DELIVERED.value, None, now, code), False
    if found is Verdict.RETRY:
        at = next_attempt(
            failures=due.attempt_count + 1,
            now=now,
            gives_up_at=due.gives_up_at,
            retry_after=parse_retry_after(outcome.retry_after, now=now),
        )
        if at is not None:
            return DeliveryUpdate(DeliveryStatus.PENDING.value, at, None, code), False
    return DeliveryUpdate(DeliveryStatus.FAILED.value, None, None, code), found is Verdict.GONE


class Sender:
    """One process's sender. Its loop (`turn`) records the attempts that ended and claims
    more, in one transaction, so a delivery costs a share of a transaction rather than one
    of its own (SQLite commits one at a time). `webhook_concurrency` threads send what is
    claimed ("the hand"); a subscription has at most three quarters of them at once, and a
    bounded share of the hand, so a slow receiver never holds up the others."""

    def __init__(self, ctx: Context, *, name: str) -> None:
        settings = ctx.settings
        self.ctx = ctx
        self.owner = f"{name}:{uuid.uuid4().hex[:8]}"[-60:]
        self.slots = settings.webhook_concurrency
        self.per_subscription = max(1, self.slots * 3 // 4)  # requests in flight
        # Claimed and not yet recorded: enough for many requests per transaction, and for the
        # threads to go on sending while a turn runs. A subscription's share is as many rounds
        # of requests as its receiver answers, at its recent pace, in half a lease: at least
        # 4 (a slow receiver's 4 rounds of 10 s timeouts are sent well within the lease), at
        # most 16 (a fast one).
        self.hand = 16 * self.slots
        self._half_lease = settings.webhook_lease_seconds / 2
        self._pace: dict[int, float] = {}  # per subscription: seconds a request took, smoothed
        self.client = make_client(concurrency=self.slots, timeout=settings.webhook_timeout_seconds)
        # One lock, two queues of waiters: the sending threads wait for claimed deliveries
        # (`_work`), the loop for ended ones (`_ended_cond`). Waking only the waiter that has
        # something to do keeps nine threads from taking the interpreter lock in turn at
        # every request's end.
        lock = threading.Lock()
        self._cond = threading.Condition(lock)
        self._ended_cond = threading.Condition(lock)
        self._ready: list[Due] = []  # claimed, waiting for a thread
        self._claimed_at: dict[int, float] = {}  # delivery id: monotonic time of its claim
        # A delivery not started by then is left to its lease's end, not sent: its request
        # might outlast the lease, and another sender may claim it meanwhile.
        lease, timeout = settings.webhook_lease_seconds, settings.webhook_timeout_seconds
        self._start_within = max(lease / 2, lease - timeout - 1)
        self._running: Counter[int] = Counter()  # per subscription
        self._held: Counter[int] = Counter()  # in the hand, per subscription
        self._ended: list[tuple[Due, Outcome, datetime]] = []  # sent, not yet recorded
        self._closed = False
        self._fan_out_at = 0.0  # monotonic time of the next fan-out
        self._fanned_at = 0.0  # monotonic time of the last
        self.commits = commits.of(ctx.database.engine)  # this process's write commits
        self._commits_seen = -1  # the count of them when the last fan-out began
        self._threads = [
            threading.Thread(target=self._work, name=f"webhook-{n}", daemon=True)
            for n in range(self.slots)
        ]
        for thread in self._threads:
            thread.start()

    def turn(self) -> int:
        """Fan out, record what ended, claim what the hand has room for, in one transaction
        (on SQLite, writers take turns: one write a turn keeps the sender's share small):
        how much that was. Fan-out runs again at once while it finds rows, else after
        `webhook_poll_seconds`, or `PROMPT_SECONDS` after the last one when this process
        committed a write since."""
        with self._cond:
            ended, self._ended = self._ended, []
            for due, _, _ in ended:
                self._held[due.subscription_id] -= 1
            room = self.hand - sum(self._held.values())
            full = [s for s, n in self._held.items() if n >= self._share(s)]
        now, before = time.monotonic(), self.commits.count
        fan = now >= self._fan_out_at or (
            self.fresh_commits and now >= self._fanned_at + PROMPT_SECONDS
        )
        if fan:
            self._commits_seen, self._fanned_at = before, now
        announced, claimed, wrote = self._in_one_transaction(ended, fan=fan, room=room, full=full)
        if wrote and self._commits_seen == before and self.commits.count == before + 1:
            self._commits_seen += 1  # only this turn's own commit: nothing new to fan out
        if fan:
            pause = 0.0 if announced else self.ctx.settings.webhook_poll_seconds
            self._fan_out_at = time.monotonic() + pause
        with self._cond:
            self._held.update(due.subscription_id for due in claimed)
            self._held += Counter()  # drops the zeros
            self._ready.extend(claimed)
            claimed_at = time.monotonic()
            self._claimed_at.update((due.id, claimed_at) for due in claimed)
            self._cond.notify(len(claimed))
        return announced + len(ended) + len(claimed)

    @property
    def fresh_commits(self) -> bool:
        """Whether this process committed a write since the last fan-out began."""
        return self.commits.count != self._commits_seen

    def wait_for_commits(self, timeout: float) -> None:
        """Until this process commits a write not yet looked at (or `timeout`), then until a
        fan-out is due again (`PROMPT_SECONDS` after the last)."""
        self.commits.wait_past(self._commits_seen, timeout)
        time.sleep(max(0.0, self._fanned_at + PROMPT_SECONDS - time.monotonic()))

    def _share(self, subscription_id: int) -> int:
        """How many of a subscription's deliveries the hand may hold (see __init__)."""
        pace = self._pace.get(subscription_id)
        rounds = 4 if pace is None else min(16, max(4, int(self._half_lease / max(pace, 1e-3))))
        return rounds * self.per_subscription

    def wait_for_work(self, timeout: float) -> None:
        """Until a turn is worth its transaction: enough requests ended to record together,
        or the threads are about to run out of claimed deliveries (or `timeout`)."""

        with self._cond:
            self._ended_cond.wait_for(self._worth_a_turn, timeout)

    def _worth_a_turn(self) -> bool:
        ended = len(self._ended)
        return ended >= 4 * self.slots or (ended > 0 and len(self._ready) < 2 * self.slots)

    @property
    def busy(self) -> bool:
        """Deliveries in the hand: waiting, in flight, or ended and not yet recorded."""
        with self._cond:
            return bool(self._ready or self._ended or sum(self._running.values()))

    def _in_one_transaction(
        self, ended: list[tuple[Due, Outcome, datetime]], *, fan: bool, room: int, full: list[int]
    ) -> tuple[int, list[Due], bool]:
        """What was fanned out, what was claimed, and whether a write was committed."""
        settings = self.ctx.settings
        give_up = settings.webhook_give_up_seconds
        prepared = None
        if fan or not ended:  # reads first: an idle sender takes no write lock
            with self.ctx.uow(read_only=True) as uow:
                if fan:
                    prepared = prepare_fan_out(uow, give_up_seconds=give_up)
                idle = not ended and prepared is None
                if idle and (room <= 0 or not queue.any_due(uow.connection, now=uow.clock.now())):
                    return 0, [], False
        with self.ctx.uow() as uow:
            now = uow.clock.now()
            announced = 0
            if prepared is not None:
                announced = fan_out_in(uow, prepared)
            self._record(uow.connection, ended, now=now)
            claimed: list[Due] = []
            if room > 0:
                claimed = queue.claim_due(
                    uow.connection,
                    now=now,
                    lease_until=now + timedelta(seconds=settings.webhook_lease_seconds),
                    owner=self.owner,
                    limit=room,
                    skip_subscriptions=full,
                )
            uow.commit()
        return announced, claimed, True

    def _record(
        self, connection: Any, ended: list[tuple[Due, Outcome, datetime]], *, now: datetime
    ) -> None:
        attempts, gone = [], {}
        for due, outcome, started in ended:
            new, is_gone = outcome_values(due, outcome, now=now)
            attempt = Attempt(
                due.id, started, outcome.status_code, outcome.error, outcome.duration_ms,
                outcome.answer,
            )  # fmt: skip
            attempts.append((attempt, new))
            if is_gone:
                gone[due.id] = due.subscription_id
        kept = queue.record_attempts(connection, owner=self.owner, attempts=attempts)
        for delivery_id in set(gone) & kept:
            reason = "the receiver answered 410 Gone: disabled"
            queue.disable_subscription(
                connection, subscription_id=gone[delivery_id], reason=reason, at=now
            )
        for due, _, _ in ended:
            if due.id not in kept:
                log.warning("webhook delivery %s: lease lost while sending; not recorded", due.id)

    def _work(self) -> None:
        """A sending thread: the first waiting delivery whose subscription has a free slot.
        Having sent one, it records the end and takes the next itself, in one hold of the
        lock; another thread is woken only when one more delivery can start (a slot freed
        for another subscription), so nine threads do not take the interpreter lock in turn
        at every request's end to find nothing to do."""
        sent: tuple[Due, Outcome, datetime] | None = None
        while True:
            with self._cond:
                if sent is not None:
                    self._ended_one(*sent)
                due = self._take()
                if due is None:
                    return
                self._running[due.subscription_id] += 1
                if self._next() is not None:
                    self._cond.notify()
            started = self.ctx.clock.now()
            sent = (due, self._send(due, started), started)

    def _take(self) -> Due | None:
        """(Holding the lock.) The next delivery to send, waiting for one; None once closed."""
        while True:
            due = self._next()
            if due is None:
                if self._closed:
                    return None
                self._cond.wait()
                continue
            self._ready.remove(due)
            claimed_at = self._claimed_at.pop(due.id, time.monotonic())
            if time.monotonic() - claimed_at <= self._start_within:
                return due
            self._held[due.subscription_id] -= 1  # given up: its lease ends
            self._ended_cond.notify_all()

    def _ended_one(self, due: Due, outcome: Outcome, started: datetime) -> None:
        """(Holding the lock.) A request ended: to be recorded by the next turn."""
        self._running[due.subscription_id] -= 1
        self._ended.append((due, outcome, started))
        took = outcome.duration_ms / 1000
        pace = self._pace.get(due.subscription_id, took)
        self._pace[due.subscription_id] = 0.8 * pace + 0.2 * took
        if self._worth_a_turn() or not self._ready:
            self._ended_cond.notify_all()  # the loop, and drain()

    def _next(self) -> Due | None:
        for due in self._ready:
            if self._running[due.subscription_id] < self.per_subscription:
                return due
        return None

    def _send(self, due: Due, started: datetime) -> Outcome:
        try:
            # The header's timestamp is the real time of this attempt: receivers compare it
            # with their own clocks (Standard Webhooks allows five minutes either way).
            return send(
                self.client,
                url=due.url,
                message_id=due.message_id,
                body=due.body,
                secrets=due.secrets(now=started),
                at=datetime.now(UTC),
                allow_private=self.ctx.settings.webhook_allow_private,
            )
        except Exception as error:  # a bug, not the receiver: recorded, and retried
            log.exception("webhook delivery %s: could not be sent", due.id)
            return Outcome(None, f"internal error: {type(error).__name__}", 0, None, None)

    def drain(self) -> None:
        """Until every delivery in the hand has been sent (the next turn records them)."""
        with self._cond:
            while self._ready or sum(self._running.values()):
                self._ended_cond.wait(1.0)

    def close(self) -> None:
        """Let the requests in flight end and record them; give back what was not sent."""
        with self._cond:
            self._closed = True
            unsent, self._ready = self._ready, []
            self._claimed_at.clear()
            self._cond.notify_all()
            self._ended_cond.notify_all()
        for thread in self._threads:
            thread.join(self.ctx.settings.webhook_timeout_seconds + 5)
        with self._cond:
            ended, self._ended = self._ended, []
        try:
            with self.ctx.uow() as uow:
                self._record(uow.connection, ended, now=uow.clock.now())
                queue.release(uow.connection, owner=self.owner, ids=[due.id for due in unsent])
                uow.commit()
        except Exception:  # their leases expire: they are sent again
            log.exception("webhook sender: could not record the last attempts")
        self.client.close()


def send_due(ctx: Context, *, name: str = "once", sender: Sender | None = None) -> int:
    """Fan out and send everything due now, in this call (commands and tests); how many
    rows, attempts and records that took."""
    own = sender is None
    sender = sender or Sender(ctx, name=name)
    total = 0
    try:
        while announced := fan_out(ctx):
            total += announced
        while True:
            done = sender.turn()
            sender.drain()
            total += done
            if done == 0 and not sender.busy:
                return total
    finally:
        if own:
            sender.close()


def run_sender(ctx: Context, *, stop: threading.Event, name: str) -> None:
    """The sender's loop, until `stop` is set: a database hiccup is logged and retried."""
    sender = Sender(ctx, name=name)
    poll = ctx.settings.webhook_poll_seconds
    try:
        while not stop.is_set():
            try:
                progressed = sender.turn()
            except Exception:
                log.exception("webhook sender %s: could not fan out or claim; trying again", name)
                progressed = 0
            if sender.busy:
                sender.wait_for_work(poll)
            elif not progressed:  # until a commit here (a change to fan out, maybe) or a poll
                sender.wait_for_commits(poll)
    finally:
        sender.close()


@contextmanager
def running(ctx: Context, *, stop: threading.Event, name: str) -> Iterator[threading.Thread]:
    """The sender in a thread of its own while the block runs: a slow receiver never holds
    up the job worker, nor ingestion (which never waits for it)."""
    thread = threading.Thread(
        target=run_sender,
        kwargs={"ctx": ctx, "stop": stop, "name": name},
        name="leadstreams-webhooks",
        daemon=True,
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        commits.of(ctx.database.engine).wake()
        thread.join(ctx.settings.webhook_timeout_seconds + 5)
