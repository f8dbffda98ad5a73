"""Events per second through `services.ingest.record_events` against bare batched inserts.

`ingest_vs_bare_insert`: batches of 1,000 events through the service (store each, evaluate the
active streams that read its type, write matches, leads and outbox rows, one transaction per
batch) with 100 active streams, divided into the rate of bare DB-API `executemany` inserts of
the same rows (prepared beforehand), one transaction per batch. The two alternate batch by
batch on the same copy of the dataset, so drift hits both alike.

`unrelated_streams_overhead`: the cost per event with 1,000 active streams of which 10 read
its type, divided by the cost with those 10 alone (two copies, alternating batch by batch).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import Engine

from bench import _service
from bench._report import Figure, Outcome
from bench.data import (
    NOW,
    PROPERTIES,
    TYPE_WEIGHTS,
    TYPES,
    Size,
    drop_postgres,
    postgres_copy,
    remove_sqlite,
    sqlite_copy,
)
from leadstreams.rules import dump, parse
from leadstreams.services import ingest
from leadstreams.services.context import Context
from leadstreams.store import fields as fields_store
from leadstreams.store import state
from leadstreams.store import streams as streams_store

BATCH = 1_000
COUNTRIES = [["SE", "NO", "DK"], ["US", "CA"], ["GB"], ["DE", "FR", "NL"]]
WHERE = {
    "form_submitted": ("form", "Contact us"),
    "email_clicked": ("link", "/pricing"),
    "email_opened": ("campaign", "nordics-q2"),
    "page_visited": ("url", "/pricing"),
}


def stream_rule(k: int, event_type: str) -> dict[str, Any]:
    """The k-th of a family of realistic rules: a score, sometimes countries, an event."""
    prop, value = WHERE[event_type]
    event: dict[str, Any] = {"event": event_type, "min_count": 1 + k % 3,
                             "within_days": (7, 30, 90)[k % 3]}  # fmt: skip
    if k % 2:
        event["where"] = [{"property": prop, "op": "eq", "value": value}]
    rules: list[dict[str, Any]] = [{"field": "lead_score", "op": "gte", "value": 30 + k % 50}]
    if k % 4:
        rules.append({"field": "country", "op": "in", "value": COUNTRIES[k % 4]})
    return {"all": [*rules, event]}


def add_streams(ctx: Context, rules: list[dict[str, Any]]) -> None:
    """Active streams written in one transaction (their creation is not what is measured)."""
    team_id = _service.team(ctx)
    with ctx.uow() as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        now = uow.clock.now()
        for k, rule in enumerate(rules):
            values = {"name": f"Stream {k}", "rules": dump(parse(rule, vocabulary)),
                      "active": True, "activated_at": now, "created_at": now,
                      "updated_at": now, "version": 1, "description": ""}  # fmt: skip
            stream_id = streams_store.create(uow.connection, values=values)
            streams_store.set_teams(uow.connection, stream_id=stream_id, team_ids=[team_id])
        state.bump_streams_revision(uow.connection)
        uow.commit()


def make_events(
    size: Size, count: int, *, types: list[str] | None = None, salt: int = 0
) -> list[dict[str, Any]]:
    """New events of the last few days, for contacts drawn at random (`salt`: another draw)."""
    rng = random.Random(size.seed * 1_000 + 7 + salt)
    owners = rng.choices(range(1, size.contacts + 1), k=count)
    kinds = [rng.choice(types) for _ in range(count)] if types else []
    kinds = kinds or rng.choices(TYPES, TYPE_WEIGHTS, k=count)
    return [
        {"contact_id": owners[i], "type": kinds[i],
         "occurred_at": (NOW - timedelta(minutes=rng.randrange(7 * 1440))).isoformat(),
         "properties": rng.choice(PROPERTIES[kinds[i]])}
        for i in range(count)
    ]  # fmt: skip


def batches(items: list[dict[str, Any]], prefix: str) -> Iterator[list[dict[str, Any]]]:
    for low in range(0, len(items), BATCH):
        chunk = items[low : low + BATCH]
        yield [item | {"event_id": f"{prefix}-{low + i}"} for i, item in enumerate(chunk)]


def _bare_rows(engine: Engine, batch: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    sqlite = engine.dialect.name == "sqlite"
    rows = []
    for e in batch:
        at: Any = (
            e["occurred_at"][:19].replace("T", " ") + ".000000" if sqlite else e["occurred_at"]
        )
        rows.append(
            (e["event_id"], e["contact_id"], e["type"], at, at, json.dumps(e["properties"]))
        )
    return rows


def bare_insert(engine: Engine) -> Callable[[list[tuple[Any, ...]]], None]:
    """A transaction of DB-API executemany: the least work that stores a batch of events."""
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    columns = "event_id, contact_id, type, occurred_at, received_at, properties"
    sql = f"INSERT INTO events ({columns}) VALUES ({', '.join([mark] * 6)})"  # noqa: S608

    def insert(rows: list[tuple[Any, ...]]) -> None:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(sql, rows)
            raw.commit() if not sqlite else cursor.execute("COMMIT")
        finally:
            raw.close()

    return insert


def _copy(backend: str, size: Size, name: str) -> str:
    return sqlite_copy(size, name) if backend == "sqlite" else postgres_copy(size, name)


def _drop(url: str) -> None:
    remove_sqlite(url) if url.startswith("sqlite") else drop_postgres(url.rsplit("/", 1)[1])


def alternate(contestants: dict[str, Callable[[int], None]], rounds: int) -> dict[str, float]:
    """Seconds per contestant, summed over `rounds` rounds that run each once, in turn;
    round 0 is a warm-up and not counted."""
    spent = dict.fromkeys(contestants, 0.0)
    for k in range(rounds + 1):
        for name, run in contestants.items():
            started = perf_counter()
            run(k)
            if k:
                spent[name] += perf_counter() - started
    return spent


def ingest_vs_bare_insert(size: Size, backend: str, rounds: int) -> Outcome:
    url = _copy(backend, size, "bench_ingest")
    ctx = _service.context(url)
    add_streams(ctx, [stream_rule(k, TYPES[k % 4]) for k in range(100)])
    events = make_events(size, (rounds + 1) * BATCH)
    ours = list(batches(events, "ours"))
    bare = [_bare_rows(ctx.database.engine, b) for b in batches(events, "bare")]
    insert = bare_insert(ctx.database.engine)
    spent = alternate({"ours": lambda k: _record(ctx, ours[k]),
                       "bare": lambda k: insert(bare[k])}, rounds)  # fmt: skip
    ctx.database.engine.dispose()
    _drop(url)
    rate = {name: rounds * BATCH / seconds for name, seconds in spent.items()}
    note = f"{rate['ours']:,.0f} vs {rate['bare']:,.0f} events/s, {backend}, 100 streams"
    details = {f"ingest_{backend}_events_per_s": round(rate["ours"]),
               f"bare_insert_{backend}_events_per_s": round(rate["bare"])}  # fmt: skip
    key = "ingest_vs_bare_insert" + ("" if backend == "sqlite" else f"_{backend}")
    return Outcome([Figure(key, rate["ours"] / rate["bare"], ">= 0.5", note)], details)


def _record(ctx: Context, batch: list[dict[str, Any]]) -> None:
    results = ingest.record_events(ctx, items=batch)
    failed = [r for r in results if r.status != "created"]
    if failed:
        raise SystemExit(f"ingest refused events: {failed[:3]}")


def unrelated_streams_overhead(size: Size, backend: str, rounds: int) -> Outcome:
    """Events of one type; 10 streams read it. Alone, and among 990 streams that do not."""
    mine = [stream_rule(k, "form_submitted") for k in range(10)]
    others = [stream_rule(k, TYPES[k % 3]) for k in range(990)]  # the other three types
    contexts = {}
    for name, rules in (("alone", mine), ("among_1000", mine + others)):
        contexts[name] = _service.context(_copy(backend, size, f"bench_streams_{name}"))
        add_streams(contexts[name], rules)
    events = list(batches(make_events(size, (rounds + 1) * BATCH, types=["form_submitted"]), "u"))
    spent = alternate({name: lambda k, c=c: _record(c, events[k])
                       for name, c in contexts.items()}, rounds)  # fmt: skip
    for ctx in contexts.values():
        ctx.database.engine.dispose()
        _drop(ctx.settings.database_url)
    per_event = {name: seconds / (rounds * BATCH) * 1e6 for name, seconds in spent.items()}
    note = f"{per_event['among_1000']:.0f} vs {per_event['alone']:.0f} µs/event, {backend}"
    details = {"unrelated_streams_us_per_event": {k: round(v) for k, v in per_event.items()}}
    ratio = per_event["among_1000"] / per_event["alone"]
    return Outcome([Figure("unrelated_streams_overhead", ratio, "<= 1.5", note)], details)
