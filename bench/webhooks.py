"""Webhook delivery, each figure against a baseline measured in the same run (SQLite).

`webhook_delivery_vs_bare_httpx`: deliveries per second through the worker's sender (claim
with a lease, sign with standardwebhooks, POST, record the attempt and the outcome), divided
into the rate of a bare `httpx` loop that POSTs the same bodies to the same receiver with
the same concurrency (`webhook_concurrency`, 8) and records nothing. The receiver is a
process of its own (`bench/_receiver.py`) that answers 200 at once. Best of the rounds each.
`webhook_deliveries_per_s` is the sender's rate.

`event_to_webhook_p99_ms` (and `_postgres`): events offered at 100/s (one
`ingest.record_many` each, every one a new lead), with the sender thread running in this
process as in `leadstreams serve` (`_worker`: in a `leadstreams worker` process);
the time from an event's commit (its ingestion returned) to its webhook's arrival at the
receiver, 99th percentile. The rate ingestion achieved is reported beside it (one
thread ingests; on a busy machine it may not reach 100/s).

`ingest_with_webhooks` (and `_postgres`): events per second through ingestion in this
process (batches of 100, every event a new lead and so an outbox row) with three active
subscriptions, divided by the same with none: two databases, each with a `leadstreams
worker` process of its own sending (as deployed, docs/delivery.md), phases in the order
ABBA. After each phase with subscriptions the bench waits until every webhook of it has
arrived (the drain, reported) before the next phase; at the end every delivery must have
arrived, counted by `webhook-id`. `ingest_with_webhooks_drained` divides the same baseline
by the time with subscriptions until the last webhook arrived (ingestion plus drains).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from time import perf_counter
from typing import Any

import httpx2 as httpx
from sqlalchemy import func, select, update

from bench._report import Figure, Outcome
from bench._worker import cpu_seconds, worker
from bench.data import URL_PREFIX, _pg_admin, drop_postgres
from leadstreams.clock import SystemClock
from leadstreams.config import Settings
from leadstreams.domain.topics import Topic
from leadstreams.schemas.events import EventCreate
from leadstreams.schemas.streams import StreamCreate
from leadstreams.schemas.users import TeamCreate
from leadstreams.schemas.webhooks import WebhookCreate
from leadstreams.services import ingest, streams, users, webhooks
from leadstreams.services.context import Context
from leadstreams.services.webhook_sender import fan_out, running
from leadstreams.store.database import Database
from leadstreams.store.migrate import upgrade
from leadstreams.store.tables import outbox, webhook_attempts, webhook_deliveries

SECRET = "bench-secret-key-bench-secret-key"
ANY_FORM = {"all": [{"event": "form_submitted"}]}


RECEIVERS: dict[str, int] = {}  # a running receiver's URL: its process id


@contextlib.contextmanager
def receiver() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "bench._receiver", str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        RECEIVERS[url := f"http://127.0.0.1:{port}/hook"] = process.pid
        yield url
    finally:
        RECEIVERS.pop(f"http://127.0.0.1:{port}/hook", None)
        process.terminate()
        process.wait(10)


def stats(url: str) -> dict[str, Any]:
    answer = httpx.get(url.replace("/hook", "/stats"), timeout=30, trust_env=False)
    found: dict[str, Any] = answer.json()
    return found


@contextlib.contextmanager
def _url(postgres: bool, tag: str = "") -> Iterator[str]:
    if postgres:  # a database of this process's own, dropped at the end
        name = f"bench_webhooks_{os.getpid()}{tag}"
        drop_postgres(name)
        with _pg_admin() as admin:
            admin.execute(f"CREATE DATABASE {name}")
        try:
            yield f"{URL_PREFIX}/{name}"
        finally:
            drop_postgres(name)
        return
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as folder:
        yield f"sqlite:///{Path(folder) / 'hooks.db'}"


@contextlib.contextmanager
def database(*, postgres: bool = False, tag: str = "", **settings: Any) -> Iterator[Context]:
    """A fresh database with a team and a stream on which every form makes a lead."""
    with _url(postgres, tag) as url:
        config = Settings(database_url=url, secret_key=SECRET, log_level="WARNING",
                          webhook_allow_private=True, **settings)  # fmt: skip
        ctx = Context(settings=config, database=Database.at(url), clock=SystemClock())
        upgrade(ctx.database.engine)
        team = users.create_team(ctx, data=TeamCreate(name="Bench")).id
        data = StreamCreate(name="Every form", rules=ANY_FORM, team_ids=[team])
        stream_id = streams.create_stream(ctx, data=data, user_id=None).id
        streams.set_active(ctx, stream_id=stream_id, active=True, user_id=None)
        try:
            yield ctx
        finally:
            ctx.database.dispose()


def subscribe(ctx: Context, url: str) -> None:
    data = WebhookCreate(url=url, events=list(Topic))  # type: ignore[arg-type]
    webhooks.create_subscription(ctx, data=data)


def events(prefix: str, count: int) -> list[EventCreate]:
    return [
        EventCreate(
            email=f"{prefix}{n}@example.com",
            type="form_submitted",
            properties={"form": "Contact us"},
        )
        for n in range(count)
    ]


def record(ctx: Context, batch: list[EventCreate]) -> None:
    for outcome in ingest.record_many(ctx, batch):
        assert not isinstance(outcome, Exception), outcome


# ---- webhook_delivery_vs_bare_httpx ---------------------------------------------------------


def _delivered(ctx: Context) -> int:
    with ctx.uow(read_only=True) as uow:
        query = select(func.count()).where(webhook_deliveries.c.status == "delivered")
        return uow.connection.scalar(query) or 0


def _all_pending_again(ctx: Context) -> None:
    with ctx.uow() as uow:
        uow.connection.execute(webhook_attempts.delete())
        uow.connection.execute(
            update(webhook_deliveries).values(
                status="pending", attempt_count=0, next_attempt_at=uow.clock.now(),
                delivered_at=None, lease_owner=None, lease_until=None,
            )
        )  # fmt: skip
        uow.commit()


def _sender_seconds(ctx: Context, count: int) -> float:
    """From start until every delivery is recorded delivered, the sender as a worker runs it."""
    stop = threading.Event()
    started = perf_counter()
    with running(ctx, stop=stop, name="bench"):
        while _delivered(ctx) < count:
            time.sleep(0.02)
        elapsed = perf_counter() - started
    return elapsed


def _bare_seconds(url: str, bodies: list[str], concurrency: int) -> float:
    client = httpx.Client(
        timeout=10, follow_redirects=False, trust_env=False,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )  # fmt: skip
    headers = {"content-type": "application/json"}

    def post(body: str) -> int:
        return client.post(url, content=body.encode(), headers=headers).status_code

    started = perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        codes = list(pool.map(post, bodies))
    elapsed = perf_counter() - started
    client.close()
    assert set(codes) == {200}
    return elapsed


def delivery_vs_bare(count: int, rounds: int) -> Outcome:
    with receiver() as url, database(webhook_poll_seconds=0.05) as ctx:
        subscribe(ctx, url)
        for start in range(0, count, 500):
            record(ctx, events(f"d{start}-", min(500, count - start)))
        while fan_out(ctx):
            pass
        with ctx.uow(read_only=True) as uow:
            sent = select(outbox.c.webhook_body).join(  # each delivery's body: its outbox row's
                webhook_deliveries, webhook_deliveries.c.outbox_id == outbox.c.id
            )
            bodies = list(uow.connection.scalars(sent))
        assert len(bodies) == count
        sender, bare = float("inf"), float("inf")
        for _ in range(rounds):
            _all_pending_again(ctx)
            sender = min(sender, _sender_seconds(ctx, count))
            bare = min(bare, _bare_seconds(url, bodies, ctx.settings.webhook_concurrency))
    ratio, rate = bare / sender, count / sender
    note = f"{rate:,.0f} deliveries/s vs bare httpx {count / bare:,.0f}/s ({count} each)"
    return Outcome(
        [Figure("webhook_delivery_vs_bare_httpx", ratio, ">= 0.7", note),
         Figure("webhook_deliveries_per_s", rate, "report", "signed, sent and recorded")],
        {"webhook_delivery_detail": {"deliveries": count, "sender_s": round(sender, 3),
                                     "bare_httpx_s": round(bare, 3), "rounds": rounds}},
    )  # fmt: skip


# ---- event_to_webhook_p99_ms ----------------------------------------------------------------


def event_to_webhook(
    seconds: float, rate: float = 100.0, *, postgres: bool = False, apart: bool = False
) -> Outcome:
    """`apart`: sent by a `leadstreams worker` process (which a commit here does not wake: it
    polls), not by a sender thread in this process."""
    count = int(seconds * rate)
    with receiver() as url, database(postgres=postgres) as ctx:
        subscribe(ctx, url)
        stop = threading.Event()
        submitted: dict[str, float] = {}
        sender = (
            worker(ctx.settings.database_url, name="bench-latency", secret=SECRET)
            if apart
            else running(ctx, stop=stop, name="bench")
        )
        with sender:
            start = time.time()
            for n, event in enumerate(events("lat", count)):
                due = start + n / rate  # the n-th event is due then
                time.sleep(max(0.0, due - time.time()))
                record(ctx, [event])
                submitted[str(event.email)] = time.time()  # committed: from here on it counts
            achieved = count / (time.time() - start)
            deadline = time.time() + 60
            while stats(url)["count"] < count:
                assert time.time() < deadline, "not every webhook arrived"
                time.sleep(0.1)
        arrived = stats(url)["first_arrival"]
    latencies = sorted((arrived[email] - at) * 1000 for email, at in submitted.items())
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    p50 = latencies[len(latencies) // 2]
    note = (
        f"p50 {p50:,.0f} ms; {count} events offered at {rate:.0f}/s, ingested at {achieved:.0f}/s"
    )
    key = (
        "event_to_webhook_p99_ms" + ("_postgres" if postgres else "") + ("_worker" if apart else "")
    )
    return Outcome(
        [Figure(key, p99, "< 1000", note)],
        {f"{key}_detail": {"events": count, "rate": rate, "ingested_per_s": round(achieved, 1),
                           "p50_ms": round(p50, 1),
                                     "p99_ms": round(p99, 1), "max_ms": round(latencies[-1], 1)}},
    )  # fmt: skip


# ---- ingest_with_webhooks -------------------------------------------------------------------


def _arrived(url: str) -> tuple[int, int]:
    """Requests that reached the receiver, and distinct `webhook-id`s among them."""
    answer = httpx.get(url.replace("/hook", "/count"), timeout=30, trust_env=False).json()
    return answer["count"], answer["distinct"]


def _drain_seconds(url: str, distinct: int, timeout: float = 600.0) -> float:
    """From now until `distinct` webhook-ids have arrived at the receiver."""
    started = perf_counter()
    while _arrived(url)[1] < distinct:
        assert perf_counter() - started < timeout, "not every webhook arrived"
        time.sleep(0.01)
    return perf_counter() - started


def _delivered_ids(ctx: Context) -> tuple[set[str], Counter[str]]:
    with ctx.uow(read_only=True) as uow:
        rows = uow.connection.execute(
            select(webhook_deliveries.c.message_id, webhook_deliveries.c.status)
        ).all()
    return {row.message_id for row in rows}, Counter(row.status for row in rows)


def ingest_with_webhooks(
    count: int, *, postgres: bool = False, batch: int = 100, phases: int = 4
) -> Outcome:
    """Ingestion in this process, the sending in a `leadstreams worker` process of each
    database (as deployed: docs/delivery.md), `phases` (a multiple of 4) in the order with,
    without, without, with, ...: neither contestant always goes first. After each phase
    with subscriptions, the time until every webhook of it has arrived (drain) is measured
    apart: the next phase starts on a quiet worker, and the work put off past the ingestion
    shows in the drain, not in the other contestant's time."""
    each_phase = count // (phases // 2)
    with (
        receiver() as url,
        database(postgres=postgres, tag="hooked") as hooked,
        database(postgres=postgres, tag="bare") as bare,
    ):
        for _ in range(3):
            subscribe(hooked, url)
        contexts = {"hooked": hooked, "bare": bare}
        with (
            worker(hooked.settings.database_url, name="bench-hooked", secret=SECRET) as w_hooked,
            worker(bare.settings.database_url, name="bench-bare", secret=SECRET) as w_bare,
        ):
            workers = {"hooked": w_hooked, "bare": w_bare}
            for name, ctx in contexts.items():  # warm up: connections, caches, the workers
                record(ctx, events(f"warm-{name}-", batch))
            expected = 3 * batch
            _drain_seconds(url, expected)
            took = {"hooked": 0.0, "bare": 0.0}  # ingestion's wall time
            ingest_cpu = {"hooked": 0.0, "bare": 0.0}  # ingestion's CPU time (this process)
            worker_cpu = {"hooked": 0.0, "bare": 0.0}  # the phase's worker, drain included
            receiver_cpu = {"hooked": 0.0, "bare": 0.0}  # the receiver, on the same cores
            drains: list[float] = []
            for phase in range(phases):
                name = "hooked" if phase % 4 in (0, 3) else "bare"  # ABBA: no order effect
                ctx, cpu_before = contexts[name], workers[name].cpu_seconds()
                received_before = cpu_seconds(RECEIVERS[url])
                for start in range(0, each_phase, batch):
                    chunk = events(f"{name}{phase}-{start}-", min(batch, each_phase - start))
                    started, cpu = perf_counter(), time.process_time()
                    record(ctx, chunk)
                    took[name] += perf_counter() - started
                    ingest_cpu[name] += time.process_time() - cpu
                if name == "hooked":
                    expected += 3 * each_phase
                    drains.append(_drain_seconds(url, expected))
                worker_cpu[name] += workers[name].cpu_seconds() - cpu_before
                receiver_cpu[name] += cpu_seconds(RECEIVERS[url]) - received_before
        sent, distinct = _arrived(url)
        arrived_ids = set(stats(url)["ids"])
        made_ids, statuses = _delivered_ids(hooked)  # the workers have stopped: all recorded
    assert made_ids == arrived_ids and distinct == expected, "a webhook is missing or unknown"
    assert statuses == Counter({"delivered": expected}), statuses
    events_each = each_phase * phases // 2
    ratio = took["bare"] / took["hooked"]
    with_drain = took["bare"] / (took["hooked"] + sum(drains))
    per_event = {k: round(1000 * v / events_each, 2) for k, v in worker_cpu.items()}
    ingest_ms = {k: round(1000 * v / events_each, 2) for k, v in ingest_cpu.items()}
    receiver_ms = {k: round(1000 * v / events_each, 2) for k, v in receiver_cpu.items()}
    suffix = "_postgres" if postgres else ""
    note = (f"{events_each / took['hooked']:,.0f} events/s with 3 subscriptions, "
            f"{events_each / took['bare']:,.0f} with none; sent by a worker process "
            f"({per_event['hooked']} ms CPU per event); drained {max(drains):.2f} s after a "
            f"phase at most")  # fmt: skip
    drained = (f"until the last of {distinct:,} webhooks arrived (drain "
               f"{sum(drains):.2f} s in all); {sent - distinct} sent twice")  # fmt: skip
    return Outcome(
        [Figure(f"ingest_with_webhooks{suffix}", ratio, ">= 0.9", note),
         Figure(f"ingest_with_webhooks_drained{suffix}", with_drain, "report", drained)],
        {f"ingest_with_webhooks{suffix}_detail": {
            "events": count, "batch": batch, "phases": phases,
            "hooked_s": round(took["hooked"], 3), "bare_s": round(took["bare"], 3),
            "drain_s": [round(d, 3) for d in drains], "webhooks_distinct": distinct,
            "webhooks_sent_twice": sent - distinct,
            "ingest_cpu_ms_per_event": ingest_ms, "worker_cpu_ms_per_event": per_event,
            "receiver_cpu_ms_per_event": receiver_ms}},
    )  # fmt: skip


def webhook_benchmarks(*, quick: bool) -> Outcome:
    parts = [
        delivery_vs_bare(300 if quick else 3_000, 2 if quick else 3),
        event_to_webhook(3 if quick else 20),
        event_to_webhook(3 if quick else 20, postgres=True),
        event_to_webhook(3 if quick else 20, apart=True),
        event_to_webhook(3 if quick else 20, postgres=True, apart=True),
    ]
    return Outcome(
        [figure for part in parts for figure in part.figures],
        {key: value for part in parts for key, value in part.details.items()},
    )


if __name__ == "__main__":
    print(json.dumps(webhook_benchmarks(quick="--quick" in sys.argv).details, indent=2))
