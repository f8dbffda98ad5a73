"""Sending webhooks, after the commit, at least once (product spec rule 10).

Two steps, each in short transactions of its own, in a thread beside the job worker:

1. **Fan-out**: outbox rows that no fan-out has taken yet become one delivery per matching
   subscription, the body rendered as `GET /leads/{id}` renders the lead (services.leads).
2. **Sending**: due deliveries are claimed with a lease, sent by a pool of at most
   `webhook_concurrency` requests in flight, and their outcome recorded. A sender that dies
   mid-send leaves its lease to expire; the delivery is then claimed again (at least once:
   the receiver de-duplicates by `webhook-id`, which every attempt repeats).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from leadstreams.delivery.http import Outcome, make_client, send
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
from leadstreams.store import webhook_queue as queue
from leadstreams.store.webhook_queue import Announcement, Due, Listener

log = logging.getLogger(__name__)

FAN_OUT_BATCH = 500  # outbox rows per fan-out transaction


def fan_out(ctx: Context, *, limit: int = FAN_OUT_BATCH) -> int:
    """Fan out up to `limit` outbox rows in one transaction; how many were taken."""
    window = ctx.clock.now() - timedelta(seconds=ctx.settings.webhook_give_up_seconds)
    with ctx.uow(read_only=True) as uow:
        if not queue.any_unannounced(uow.connection, since=window):
            return 0
    with ctx.uow() as uow:
        now = uow.clock.now()
        window = now - timedelta(seconds=ctx.settings.webhook_give_up_seconds)
        rows = queue.unannounced(uow.connection, since=window, limit=limit)
        if not rows:
            return 0
        listeners = queue.listeners(uow.connection)
        wanted = [row for row in rows if row.lead_id is not None and _anyone(listeners, row)]
        leads = render_leads(uow, lead_ids=[row.lead_id for row in wanted if row.lead_id])
        new: list[dict[str, Any]] = []
        counts = {row.id: 0 for row in rows}
        gives_up_at = now + timedelta(seconds=ctx.settings.webhook_give_up_seconds)
        for row in wanted:
            lead = leads.get(row.lead_id or 0)
            if lead is None:
                continue
            body = _body(row, lead)
            for listener in listeners:
                if wants(
                    events=listener.events,
                    team_id=listener.team_id,
                    subscribed_at=listener.created_at,
                    topic=row.topic,
                    changed_at=row.created_at,
                    lead_team_ids=lead.team_ids,
                ):
                    new.append(_delivery(listener, row, lead, body, now, gives_up_at))
                    counts[row.id] += 1
        queue.add_deliveries(uow.connection, new)
        queue.mark_announced(uow.connection, counts=counts, at=now)
        uow.commit()
    return len(rows)


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
    body: str,
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
        "body": body,
        "status": DeliveryStatus.PENDING.value,
        "attempt_count": 0,
        "next_attempt_at": now,
        "gives_up_at": gives_up_at,
        "created_at": now,
    }


def outcome_values(due: Due, outcome: Outcome, *, now: datetime) -> tuple[dict[str, Any], bool]:
    """The delivery's new state after an attempt, and whether the subscription is gone (410)."""
    found = verdict(outcome.status_code)
    values: dict[str, Any] = {"last_status_code": outcome.status_code}
    if found is Verdict.DELIVERED:
        return values | {"status": "delivered", "delivered_at": now, "next_attempt_at": None}, False
    if found is Verdict.RETRY:
        at = next_attempt(
            failures=due.attempt_count + 1,
            now=now,
            gives_up_at=due.gives_up_at,
            retry_after=parse_retry_after(outcome.retry_after, now=now),
        )
        if at is not None:
            return values | {"status": "pending", "next_attempt_at": at}, False
    return values | {"status": "failed", "next_attempt_at": None}, found is Verdict.GONE


class Sender:
    """One process's sender: claims what its free slots can take, sends on a thread pool."""

    def __init__(self, ctx: Context, *, name: str) -> None:
        settings = ctx.settings
        self.ctx = ctx
        self.owner = f"{name}:{uuid.uuid4().hex[:8]}"[-60:]
        self.slots = settings.webhook_concurrency
        # One receiver may hold at most this many slots: a slow one never takes them all.
        self.per_subscription = max(1, self.slots * 3 // 4)
        self.client = make_client(concurrency=self.slots, timeout=settings.webhook_timeout_seconds)
        self.pool = ThreadPoolExecutor(self.slots, thread_name_prefix="webhook")
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)
        self._in_flight: Counter[int] = Counter()
        self._futures: set[Future[None]] = set()

    def turn(self) -> int:
        """Fan out, then start what is due and fits; how many rows and deliveries that was."""
        announced = fan_out(self.ctx)
        with self._lock:
            free = self.slots - sum(self._in_flight.values())
            busy = [s for s, n in self._in_flight.items() if n >= self.per_subscription]
        if free <= 0:
            return announced
        claimed = self._claim(free, busy)
        for due in claimed:
            with self._lock:
                self._in_flight[due.subscription_id] += 1
            future = self.pool.submit(self._attempt, due)
            with self._lock:
                self._futures.add(future)
            future.add_done_callback(self._done)
        return announced + len(claimed)

    def _claim(self, free: int, busy: list[int]) -> list[Due]:
        with self.ctx.uow(read_only=True) as uow:
            if not queue.any_due(uow.connection, now=uow.clock.now()):
                return []
        with self.ctx.uow() as uow:
            now = uow.clock.now()
            lease = now + timedelta(seconds=self.ctx.settings.webhook_lease_seconds)
            claimed = queue.claim_due(
                uow.connection,
                now=now,
                lease_until=lease,
                owner=self.owner,
                limit=free,
                skip_subscriptions=busy,
            )
            uow.commit()
        return claimed

    def _attempt(self, due: Due) -> None:
        try:
            self._send_and_record(due)
        finally:
            with self._freed:
                self._in_flight[due.subscription_id] -= 1
                if self._in_flight[due.subscription_id] <= 0:
                    del self._in_flight[due.subscription_id]
                self._freed.notify_all()

    def _send_and_record(self, due: Due) -> None:
        started = self.ctx.clock.now()
        # The header's timestamp is the real time of this attempt: receivers compare it
        # with their own clocks (Standard Webhooks allows five minutes either way).
        outcome = send(
            self.client,
            url=due.url,
            message_id=due.message_id,
            body=due.body,
            secrets=due.secrets(now=started),
            at=datetime.now(UTC),
            allow_private=self.ctx.settings.webhook_allow_private,
        )
        with self.ctx.uow() as uow:
            now = uow.clock.now()
            values, gone = outcome_values(due, outcome, now=now)
            attempt = {
                "at": started,
                "status_code": outcome.status_code,
                "error": outcome.error,
                "duration_ms": outcome.duration_ms,
                "answer": outcome.answer,
            }
            kept = queue.record_attempt(
                uow.connection,
                delivery_id=due.id,
                owner=self.owner,
                attempt=attempt,
                outcome=values,
            )
            if kept and gone:
                reason = "the receiver answered 410 Gone: disabled"
                queue.disable_subscription(
                    uow.connection, subscription_id=due.subscription_id, reason=reason, at=now
                )
            uow.commit()
        if not kept:
            log.warning("webhook delivery %s: lease lost while sending; not recorded", due.id)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)
        if future.exception() is not None:
            log.error("webhook delivery failed to record", exc_info=future.exception())

    @property
    def full(self) -> bool:
        with self._lock:
            return sum(self._in_flight.values()) >= self.slots

    def wait_for_slot(self, timeout: float) -> None:
        """Until a request in flight ends (or `timeout`)."""
        with self._freed:
            self._freed.wait(timeout)

    def drain(self) -> None:
        """Until every request in flight has ended and been recorded."""
        with self._lock:
            pending = list(self._futures)
        wait(pending)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)
        self.client.close()


def send_due(ctx: Context, *, name: str = "once", sender: Sender | None = None) -> int:
    """Fan out and send everything due now, in this call (commands and tests); how many
    rows and attempts that took."""
    own = sender is None
    sender = sender or Sender(ctx, name=name)
    total = 0
    try:
        while True:
            done = sender.turn()
            sender.drain()
            total += done
            if done == 0:
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
            if not progressed:
                stop.wait(poll)
            elif sender.full:
                sender.wait_for_slot(poll)
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
        thread.join(ctx.settings.webhook_timeout_seconds + 5)
