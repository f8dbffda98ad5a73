"""Lead scoring against hand-written SQL on the same database (SQLite; `_postgres` keys on
PostgreSQL).

`score_recompute_vs_sql`: the bulk recompute job (queued by activating the default
engagement set, run by the worker code: chunks in SQL, states, history) against one
hand-written `UPDATE contacts SET lead_score = ...` computing the same scores (the four rules'
EXISTS tests plus the adjustments). Both must leave the same scores. Before either is timed,
the baseline's expression is read once over every contact (a SELECT, nothing written), so
that both read warm caches: the job runs first, and would otherwise warm them for the UPDATE.

`score_sweep_vs_sql`: the clock moved to the moment by which 1% of the contacts' points
expire; the sweep (an index range on `contact_scores.changes_at`, each due contact rescored
live) against a hand-written update of exactly those contacts. The full recompute's time is
given beside it.

`ingest_with_scoring`: events/s through `services.ingest.record_events` (100 active streams)
with the engagement set active, divided by the same without it, alternating batch by batch
on two copies of the dataset.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from time import perf_counter, process_time
from typing import Any

from sqlalchemy import Engine, TextClause, bindparam, select, text

from bench import _service
from bench._report import Figure, Outcome
from bench.data import NOW, TYPES, Size, drop_postgres, postgres_copy, remove_sqlite, sqlite_copy
from bench.ingest import (
    BATCH,
    _copy,
    _drop,
    _record,
    add_streams,
    alternate,
    batches,
    make_events,
    stream_rule,
)
from leadstreams.clock import FixedClock
from leadstreams.schemas.scoring import ScoreSetCreate
from leadstreams.services import jobs, score_sweep, scoring
from leadstreams.services.context import Context
from leadstreams.services.scoring import DEFAULT_SETS
from leadstreams.store.migrate import upgrade
from leadstreams.store.tables import contact_scores
from leadstreams.store.types import UTCDateTime

ENGAGEMENT = next(s for s in DEFAULT_SETS if s["name"] == "Engagement")


def _engagement(ctx: Context) -> int:
    data = ScoreSetCreate.model_validate(ENGAGEMENT | {"active": True})
    return scoring.create_set(ctx, data=data, user_id=None).id


def _baseline_sql() -> str:
    """The engagement set's scores for every contact, as a person would write them."""
    parts = [
        f"""CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.contact_id = contacts.id
            AND e.type = '{rule["criteria"]["event"]}' AND e.occurred_at >= :cutoff)
            THEN {rule["points"]} ELSE 0 END"""  # noqa: S608 (constants of the default set)
        for rule in ENGAGEMENT["rules"]
    ]
    adjustments = """coalesce((SELECT sum(a.points) FROM score_adjustments a
        WHERE a.contact_id = contacts.id AND (a.expires_at IS NULL OR a.expires_at > :now)), 0)"""
    return " + ".join([*parts, adjustments])


def _scores(engine: Engine) -> list[tuple[int, int]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(  # type: ignore[misc]
            text("SELECT id, lead_score FROM contacts ORDER BY id"))]  # fmt: skip


def _values(now: Any) -> dict[str, Any]:
    return {"now": now, "cutoff": now - timedelta(days=90)}


def _baseline(sql: str) -> TextClause:
    """A statement of the baseline, its moments bound as the tables keep them."""
    moments = [bindparam(name, type_=UTCDateTime()) for name in ("now", "cutoff")]
    return text(sql).bindparams(*moments)


def _ids(engine: Engine) -> str:
    """The baseline's test of `:ids`, a list of contact ids, as each database reads one."""
    if engine.dialect.name == "postgresql":
        return "id = ANY (CAST(:ids AS BIGINT[]))"
    return "id IN (SELECT value FROM json_each(:ids))"


def score_recompute_and_sweep(size: Size, backend: str = "sqlite") -> Outcome:
    name = "bench_scoring"
    url = sqlite_copy(size, name) if backend == "sqlite" else postgres_copy(size, name)
    ctx = _service.context(url)
    engine = ctx.database.engine
    upgrade(engine)  # a cached PostgreSQL dataset may predate the scoring tables
    _engagement(ctx)
    with engine.connect() as connection:  # both read warm caches (module docstring)
        connection.execute(_baseline(f"SELECT sum({_baseline_sql()}) FROM contacts"), _values(NOW))  # noqa: S608
    started, cpu = perf_counter(), process_time()
    while jobs.run_next(ctx, worker="bench"):
        pass
    ours, ours_cpu = perf_counter() - started, process_time() - cpu
    computed = _scores(engine)
    started, cpu = perf_counter(), process_time()
    with engine.begin() as connection:
        connection.execute(_baseline(f"UPDATE contacts SET lead_score = {_baseline_sql()}"),  # noqa: S608
                           _values(NOW))  # fmt: skip
    baseline, baseline_cpu = perf_counter() - started, process_time() - cpu
    if _scores(engine) != computed:
        raise SystemExit("score_recompute_vs_sql: the recompute and the UPDATE disagree")
    suffix = "" if backend == "sqlite" else "_postgres"
    sweep = _sweep(ctx, size, recompute_seconds=ours, suffix=suffix)
    ctx.database.engine.dispose()
    remove_sqlite(url) if backend == "sqlite" else drop_postgres(url.rsplit("/", 1)[1])
    note = (f"{ours:.2f} s vs {baseline:.2f} s, {backend}, {size.contacts:,} contacts"
            + _cpu(backend, ours_cpu, baseline_cpu))  # fmt: skip
    recompute = Figure(f"score_recompute_vs_sql{suffix}", ours / baseline, "<= 1.3", note)
    details = {f"score_recompute_seconds{suffix}": round(ours, 3),
               f"score_recompute_sql_seconds{suffix}": round(baseline, 3),
               f"score_recompute_cpu_ratio{suffix}": round(ours_cpu / baseline_cpu, 3)}  # fmt: skip
    return Outcome([recompute, *sweep.figures], details | sweep.details)


def _sweep(ctx: Context, size: Size, *, recompute_seconds: float, suffix: str) -> Outcome:
    """The clock moved to where 1% of the contacts are due (after a warm-up sweep of the first
    0.1%); ours, then the hand-written update of exactly the contacts ours found due."""
    engine = ctx.database.engine
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.at = _due_moment(engine, max(size.contacts // 1_000, 1))
    score_sweep.sweep(ctx)  # the warm-up: statements compiled, caches filled
    moment = _due_moment(engine, max(size.contacts // 100, 1))
    with engine.connect() as connection:
        due = list(connection.scalars(
            select(contact_scores.c.contact_id).where(contact_scores.c.changes_at <= moment)
        ))  # fmt: skip
    ctx.clock.at = moment
    started, cpu = perf_counter(), process_time()
    swept = score_sweep.sweep(ctx)
    ours, ours_cpu = perf_counter() - started, process_time() - cpu
    computed = _scores(engine)
    started, cpu = perf_counter(), process_time()
    with engine.begin() as connection:
        ids = due if engine.dialect.name == "postgresql" else json.dumps(due)
        connection.execute(
            _baseline(f"UPDATE contacts SET lead_score = {_baseline_sql()} WHERE {_ids(engine)}"),  # noqa: S608
            _values(moment) | {"ids": ids},
        )
    baseline, baseline_cpu = perf_counter() - started, process_time() - cpu
    if _scores(engine) != computed:
        raise SystemExit("score_sweep_vs_sql: the sweep and the UPDATE disagree")
    note = (f"{ours:.3f} s vs {baseline:.3f} s for {swept:,} due contacts (1%); "
            f"a full recompute took {recompute_seconds:.2f} s"
            + _cpu(ctx.database.engine.dialect.name, ours_cpu, baseline_cpu))  # fmt: skip
    details = {f"score_sweep_seconds{suffix}": round(ours, 4),
               f"score_sweep_sql_seconds{suffix}": round(baseline, 4),
               f"score_sweep_contacts{suffix}": swept}  # fmt: skip
    figure = Figure(f"score_sweep_vs_sql{suffix}", ours / baseline, "<= 2", note)
    return Outcome([figure], details)


def _cpu(backend: str, ours: float, baseline: float) -> str:
    """SQLite works in this process: its CPU time says what wall time on a busy machine
    blurs. (PostgreSQL's work is in the server's processes.)"""
    return f"; CPU {ours / baseline:.2f}x" if backend == "sqlite" and baseline > 0 else ""


def _due_moment(engine: Engine, offset: int) -> datetime:
    """The moment by which `offset` contacts' scores can change by time alone."""
    query = (
        select(contact_scores.c.changes_at)
        .where(contact_scores.c.changes_at.is_not(None))
        .order_by(contact_scores.c.changes_at)
        .limit(1)
        .offset(offset)
    )
    with engine.connect() as connection:
        moment: datetime | None = connection.scalar(query)
    assert moment is not None
    return moment


def _matches(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT count(*) FROM matches")) or 0)


def ingest_with_scoring(size: Size, rounds: int, backend: str = "sqlite") -> Outcome:
    contexts = {}
    for name in ("with", "without"):
        ctx = _service.context(_copy(backend, size, f"bench_ingest_scoring_{name}"))
        upgrade(ctx.database.engine)  # a cached PostgreSQL dataset may predate scoring
        add_streams(ctx, [stream_rule(k, TYPES[k % 4]) for k in range(100)])
        contexts[name] = ctx
    _engagement(contexts["with"])  # and every score computed, as in a running system
    while jobs.run_next(contexts["with"], worker="bench"):
        pass
    events = list(batches(make_events(size, (rounds + 1) * BATCH), "s"))
    before = {name: _matches(c.database.engine) for name, c in contexts.items()}
    spent = alternate({name: lambda k, c=c: _record(c, events[k])
                       for name, c in contexts.items()}, rounds)  # fmt: skip
    made = {name: _matches(c.database.engine) - before[name] for name, c in contexts.items()}
    for ctx in contexts.values():
        ctx.database.engine.dispose()
        _drop(ctx.settings.database_url)
    rate = {name: rounds * BATCH / seconds for name, seconds in spent.items()}
    suffix = "" if backend == "sqlite" else "_postgres"
    note = (f"{rate['with']:,.0f} vs {rate['without']:,.0f} events/s, {backend}, 100 streams; "
            f"{made['with']:,} vs {made['without']:,} matches made")  # fmt: skip
    details = {f"ingest_scoring_{k}_events_per_s{suffix}": round(v) for k, v in rate.items()}
    # The scored contacts' higher scores (and rule 2: a score change feeds the streams on
    # it) make more matches: work the ratio counts as scoring's (docs/performance.md).
    details |= {f"ingest_scoring_{k}_matches{suffix}": v for k, v in made.items()}
    figure = Figure(f"ingest_with_scoring{suffix}", rate["with"] / rate["without"], ">= 0.8", note)
    return Outcome([figure], details)
