"""`ingest_vs_same_rows_{sqlite,postgres}`: events/s through `services.ingest.record_events`
(100 active streams, batches of 1,000, as `ingest_vs_bare_insert`) divided into the rate of a
hand-written path that inserts, in the same batches, the events and the same matches, leads,
stage changes and outbox rows, precomputed: DB-API `executemany` per table, one transaction
per batch. What remains between the two is what ingestion decides (reads, evaluation,
explanations), not what it writes.

The two run on two copies of the dataset with the same streams, batch by batch in turn. The
rows of a batch are those our ingestion wrote for it, read back (untimed) before the baseline
writes them into its copy. At the end both copies must hold the same rows, or the run stops.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Engine

from bench import _service
from bench._report import Figure, Outcome
from bench.data import Size
from bench.ingest import (
    BATCH,
    TYPES,
    _copy,
    _drop,
    _record,
    add_streams,
    batches,
    make_events,
    stream_rule,
)

# The tables ingestion writes (measured: nothing else changes), parents first.
TABLES = {
    "events": ("id", "event_id", "contact_id", "type", "occurred_at", "received_at",
               "properties"),
    "leads": ("id", "contact_id", "stage", "assignee_id", "hidden", "created_at", "updated_at",
              "closed_at", "cleared_at"),
    "matches": ("id", "lead_id", "stream_id", "contact_id", "matched_at", "origin", "trigger",
                "explanation", "cleared_at", "superseded_at"),
    "lead_stage_changes": ("id", "lead_id", "from_stage", "to_stage", "user_id", "at"),
    "outbox": ("id", "topic", "lead_id", "payload", "created_at"),
}  # fmt: skip
JSON_COLUMNS = {"properties", "trigger", "explanation", "payload"}
Rows = dict[str, list[tuple[Any, ...]]]


def _high_water(engine: Engine) -> dict[str, int]:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        marks = {}
        for table in TABLES:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 (constants)
            marks[table] = int(cursor.fetchone()[0])
        raw.rollback()
        return marks
    finally:
        raw.close()


def _rows_since(engine: Engine, marks: dict[str, int]) -> Rows:
    """The rows above `marks`, as DB-API values ready to insert again."""
    postgres = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        rows: Rows = {}
        for table, columns in TABLES.items():
            mark = "%s" if postgres else "?"
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id > {mark} "  # noqa: S608
                           "ORDER BY id", (marks[table],))  # fmt: skip
            wrap = [postgres and c in JSON_COLUMNS for c in columns]
            rows[table] = [tuple(Jsonb(v) if w and v is not None else v
                                 for v, w in zip(row, wrap, strict=True))
                           for row in cursor.fetchall()]  # fmt: skip
        raw.rollback()
        return rows
    finally:
        raw.close()


def same_rows_insert(engine: Engine, rows: Rows) -> None:
    """The hand-written path: one transaction, an `executemany` per table."""
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        for table, columns in TABLES.items():
            if rows[table]:
                marks = ", ".join([mark] * len(columns))
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(sql, rows[table])
        raw.commit() if not sqlite else cursor.execute("COMMIT")
    finally:
        raw.close()


def _comparable(rows: Rows) -> Rows:
    return {t: [tuple(v.obj if isinstance(v, Jsonb) else v for v in r) for r in rs]
            for t, rs in rows.items()}  # fmt: skip


def ingest_vs_same_rows(size: Size, backend: str, rounds: int) -> Outcome:
    urls = [_copy(backend, size, "bench_same_ours"), _copy(backend, size, "bench_same_base")]
    ours, base = (_service.context(url) for url in urls)
    rules = [stream_rule(k, TYPES[k % 4]) for k in range(100)]
    add_streams(ours, rules)
    add_streams(base, rules)
    start = _high_water(ours.database.engine)
    spent = {"ours": 0.0, "same_rows": 0.0}
    written = 0
    try:
        for k, batch in enumerate(batches(make_events(size, (rounds + 1) * BATCH), "s")):
            marks = _high_water(ours.database.engine)
            started = perf_counter()
            _record(ours, batch)
            ours_s = perf_counter() - started
            rows = _rows_since(ours.database.engine, marks)  # precomputed: not timed
            started = perf_counter()
            same_rows_insert(base.database.engine, rows)
            base_s = perf_counter() - started
            if k:  # batch 0 warms both up
                spent["ours"] += ours_s
                spent["same_rows"] += base_s
                written += sum(len(r) for r in rows.values())
        mine = _comparable(_rows_since(ours.database.engine, start))
        theirs = _comparable(_rows_since(base.database.engine, start))
        if mine != theirs:
            differ = [t for t in TABLES if mine[t] != theirs[t]]
            raise SystemExit(f"ingestion and the same-rows path wrote other rows in {differ}")
    finally:
        for ctx in (ours, base):
            ctx.database.engine.dispose()
            _drop(ctx.settings.database_url)
    rate = {name: rounds * BATCH / seconds for name, seconds in spent.items()}
    print(f"  ingest vs same rows, {backend}: {rate['ours']:,.0f} vs {rate['same_rows']:,.0f} "
          f"events/s, {written / rounds:,.0f} rows per batch", flush=True)  # fmt: skip
    note = (f"{rate['ours']:,.0f} vs {rate['same_rows']:,.0f} events/s, {backend}, 100 streams, "
            f"{written / rounds:,.0f} rows per batch of {BATCH:,} events")  # fmt: skip
    key = f"ingest_vs_same_rows_{backend}"
    details = {f"ingest_same_rows_{backend}_events_per_s": {k: round(v) for k, v in rate.items()}}
    return Outcome([Figure(key, rate["ours"] / rate["same_rows"], ">= 0.7", note)], details)
