"""Fetch history of the benchmarks' 4-condition rule, through the real job, against the best
hand-written `INSERT ... SELECT ... ON CONFLICT DO NOTHING` on the same database.

The baseline tries three shapes of the event condition (a set-based `IN (... GROUP BY ...
HAVING)`, a correlated count, and a correlated count that stops at two rows) and keeps the
fastest. Both sides use the schema's indexes, which are the ones a good engineer would make
for this rule: `events(type, occurred_at, contact_id)` makes the set-based event part an
index-only range scan, `events(contact_id, type, occurred_at)` serves the correlated shapes.
Both sides must make leads for exactly the same contacts.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, bindparam, text

from bench import _service
from bench._report import Figure, Outcome
from bench.data import NOW, RULE, Size, postgres_dataset, sqlite_dataset
from leadstreams.services import fetch_history, jobs
from leadstreams.services.context import Context
from leadstreams.store.types import UTCDateTime

CUTOFF = NOW - timedelta(days=90)
OURS = "ours"
EVENT_PART = {  # the event condition, three ways; the window and cutoff are the same
    "in_group_by": """c.id IN (SELECT e.contact_id FROM events e
        WHERE e.type = 'form_submitted' AND e.occurred_at >= :cutoff
        GROUP BY e.contact_id HAVING count(*) >= 2)""",
    "correlated_count": """(SELECT count(*) FROM events e WHERE e.contact_id = c.id
        AND e.type = 'form_submitted' AND e.occurred_at >= :cutoff) >= 2""",
    "correlated_limit_2": """(SELECT count(*) FROM (SELECT 1 FROM events e
        WHERE e.contact_id = c.id AND e.type = 'form_submitted' AND e.occurred_at >= :cutoff
        LIMIT 2) AS two) >= 2""",
}
BASELINE = """INSERT INTO leads (contact_id, stage, hidden, created_at, updated_at)
SELECT c.id, 'mql', false, :now, :now FROM contacts c
WHERE c.lead_score >= 50 AND lower(c.country) IN ('se', 'no', 'dk')
  AND c.category <> 'customer' AND {event}
ON CONFLICT DO NOTHING"""


def baseline(engine: Engine, shape: str) -> int:
    query = text(BASELINE.format(event=EVENT_PART[shape])).bindparams(
        bindparam("now", type_=UTCDateTime()), bindparam("cutoff", type_=UTCDateTime())
    )
    with engine.begin() as connection:
        return connection.execute(query, {"now": NOW, "cutoff": CUTOFF}).rowcount


def ours(ctx: Context, stream_id: int) -> int:
    """The job as the app runs it: queued by the service, claimed and run by a worker."""
    job = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    while jobs.run_next(ctx, worker="bench") is not None:
        pass
    return int(fetch_history.get_job(ctx, job_id=job.id).matches_created)


def _timed(engine: Engine, run: Callable[[], int]) -> tuple[float, int, list[int]]:
    """One run on emptied leads: its time, what it made, and the contacts given leads."""
    _service.empty(engine, _service.MADE[:5])
    started = perf_counter()
    made = run()
    return perf_counter() - started, made, _service.lead_contacts(engine)


def _peak_memory_mb(engine: Engine, ctx: Context, stream_id: int) -> float:
    _service.empty(engine, _service.MADE[:5])
    tracemalloc.start()
    ours(ctx, stream_id)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return round(peak / 2**20, 2)


def measure(url: str, size: Size, repeats: int) -> dict[str, Any]:
    """One database: `repeats` rounds of every baseline shape and ours, taking turns so that
    both sides meet the same load on a shared machine; the best time of each. The contacts
    each chose must agree."""
    ctx = _service.context(url)
    _service.empty(ctx.database.engine)
    stream_id = _service.add_stream(ctx, team_id=_service.team(ctx), name="Bench", rules=RULE)
    runs: dict[str, Callable[[], int]] = {
        s: (lambda s=s: baseline(ctx.database.engine, s))
        for s in EVENT_PART  # type: ignore[misc]
    }
    runs[OURS] = lambda: ours(ctx, stream_id)
    best = dict.fromkeys(runs, float("inf"))
    chose: dict[str, list[int]] = {}
    made = 0
    for _ in range(repeats):
        for name, run in runs.items():
            seconds, count, chose[name] = _timed(ctx.database.engine, run)
            best[name] = min(best[name], seconds)
            made = count if name == OURS else made
    for shape in EVENT_PART:
        if chose[shape] != chose[OURS]:
            raise SystemExit(
                f"fetch history chose {len(chose[OURS])} contacts, {shape} {len(chose[shape])}"
            )
    peak = _peak_memory_mb(ctx.database.engine, ctx, stream_id)
    _service.empty(ctx.database.engine)
    ctx.database.engine.dispose()
    shapes = {s: best[s] for s in EVENT_PART}
    fastest = min(shapes, key=shapes.__getitem__)
    return {
        "contacts": size.contacts, "events": size.events, "matches": made,
        "ours_s": round(best[OURS], 3), "baseline_s": round(shapes[fastest], 3),
        "baseline_shape": fastest, "ratio": round(best[OURS] / shapes[fastest], 3),
        "shapes_s": {s: round(t, 3) for s, t in shapes.items()}, "peak_python_mb": peak,
    }  # fmt: skip


def _run(backend: str, sizes: list[Size], repeats: int) -> Outcome:
    load = sqlite_dataset if backend == "sqlite" else postgres_dataset
    rows = []
    for size in sizes:
        target = load(size)
        url = f"sqlite:///{target}" if backend == "sqlite" else str(target)
        started = perf_counter()
        rows.append(measure(url, size, repeats))
        print(f"  fetch history {backend} {size.key}: {rows[-1]} ({perf_counter() - started:.0f}s)")
    top = rows[-1]
    note = (f"{top['ours_s']}s vs {top['baseline_s']}s ({top['baseline_shape']}), "
            f"{top['contacts']:,} contacts, {top['matches']} matches, "
            f"peak {top['peak_python_mb']} MB")  # fmt: skip
    figure = Figure(f"fetch_history_vs_sql_{backend}", top["ratio"], "<= 1.3", note)
    return Outcome([figure], {f"fetch_history_{backend}_by_size": rows})


def fetch_history_vs_sql_sqlite(sizes: list[Size], repeats: int = 3) -> Outcome:
    return _run("sqlite", sizes, repeats)


def fetch_history_vs_sql_postgres(sizes: list[Size], repeats: int = 3) -> Outcome:
    return _run("postgres", sizes, repeats)
