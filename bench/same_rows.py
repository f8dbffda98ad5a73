"""`fetch_history_vs_same_rows_{sqlite,postgres}`: our fetch-history job against hand-written
SQL that writes the rows it writes, for the same contacts: the leads, the matches with their
explanation JSON (built in SQL), the stage changes and the outbox rows, in one transaction.

The rule is the benchmarks' (`bench.data.RULE`), written by hand for this one rule: the
explanation's texts are literals, as someone writing SQL for it would write them. The hits
are found by the fastest of the three shapes of `bench.fetch_history` (the event count for the
explanation is a correlated count of the hits only). Both sides must write the same rows
(ids, times and the job's id aside), or the run stops.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from time import perf_counter
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from bench import _service
from bench._report import Figure, Outcome
from bench.data import RULE, Size, postgres_dataset, sqlite_dataset
from bench.fetch_history import CUTOFF, EVENT_PART, NOW, ours
from leadstreams.store.types import UTCDateTime

OURS = "ours"
TEXTS = {  # the explanation's plain English, for this one rule
    "rule": "Lead score is at least 50, and country is one of SE, NO, DK, and category is not "
    "customer, and submitted a form at least 2 times in the last 90 days",
    "score": "Lead score is at least 50",
    "country": "Country is one of SE, NO, DK",
    "not_customer": "Category is not customer",
    "customer": "Category is customer",
    "asked": "Submitted a form at least 2 times in the last 90 days",
}
HITS = """SELECT c.id, c.lead_score, c.country, c.category,
  (SELECT count(*) FROM events e WHERE e.contact_id = c.id AND e.type = 'form_submitted'
   AND e.occurred_at >= :cutoff) AS asked
FROM contacts c
WHERE c.lead_score >= 50 AND lower(c.country) IN ('se', 'no', 'dk')
  AND c.category <> 'customer' AND {event}"""


def _explanation(obj: str, true: str, false: str) -> str:
    """The explanation of a hit `h` as a JSON expression (`obj`: the JSON object function)."""

    def node(held: str, text: str, *rest: str) -> str:
        return f"{obj}('held', {held}, 'text', CAST(:t_{text} AS text), {', '.join(rest)})"

    customer = node(false, "customer", "'field', 'category'", "'seen', h.category")
    branches = [
        node(true, "score", "'field', 'lead_score'", "'seen', h.lead_score"),
        node(true, "country", "'field', 'country'", "'seen', h.country"),
        node(true, "not_customer", f"'not', {customer}"),
        node(true, "asked", "'event', 'form_submitted'", "'count', h.asked", "'min_count', 2",
             "'within_days', 90"),
    ]  # fmt: skip
    array = "jsonb_build_array" if obj.startswith("jsonb") else "json_array"
    return node(true, "rule", f"'all', {array}({', '.join(branches)})")


POSTGRES = """WITH h AS ({hits}),
new_leads AS (
  INSERT INTO leads (contact_id, stage, hidden, created_at, updated_at)
  SELECT id, 'mql', false, :now, :now FROM h ON CONFLICT DO NOTHING RETURNING id, contact_id),
made_matches AS (
  INSERT INTO matches (lead_id, stream_id, contact_id, matched_at, origin, trigger, explanation)
  SELECT l.id, :stream, l.contact_id, :now, 'history',
         jsonb_build_object('kind', 'history', 'job_id', 0), {explanation}
  FROM new_leads l JOIN h ON h.id = l.contact_id),
stages AS (
  INSERT INTO lead_stage_changes (lead_id, from_stage, to_stage, user_id, at)
  SELECT id, NULL, 'mql', NULL, :now FROM new_leads)
INSERT INTO outbox (topic, lead_id, payload, created_at)
SELECT 'lead.created', id, jsonb_build_object('lead_id', id, 'stream_id', CAST(:stream AS integer),
       'contact_id', contact_id, 'origin', 'history'), :now
FROM new_leads"""

# SQLite has no writing CTEs: the hits go to a temporary table, the new leads are those
# above the highest id before.
SQLITE = [
    "CREATE TEMP TABLE IF NOT EXISTS h (id INTEGER PRIMARY KEY, lead_score, country, "
    "category, asked)",
    "DELETE FROM temp.h",
    "INSERT INTO temp.h {hits}",
    """INSERT INTO leads (contact_id, stage, hidden, created_at, updated_at)
       SELECT id, 'mql', 0, :now, :now FROM temp.h WHERE true ON CONFLICT DO NOTHING""",
    """INSERT INTO matches (lead_id, stream_id, contact_id, matched_at, origin, trigger,
         explanation)
       SELECT l.id, :stream, l.contact_id, :now, 'history',
              json_object('kind', 'history', 'job_id', 0), {explanation}
       FROM leads l JOIN temp.h h ON h.id = l.contact_id WHERE l.id > :before""",
    """INSERT INTO lead_stage_changes (lead_id, from_stage, to_stage, user_id, at)
       SELECT id, NULL, 'mql', NULL, :now FROM leads WHERE id > :before""",
    """INSERT INTO outbox (topic, lead_id, payload, created_at)
       SELECT 'lead.created', id, json_object('lead_id', id, 'stream_id', CAST(:stream AS integer),
              'contact_id', contact_id, 'origin', 'history'), :now
       FROM leads WHERE id > :before""",
]


def _params(stream_id: int) -> dict[str, Any]:
    return {"now": NOW, "cutoff": CUTOFF, "stream": stream_id} | {
        f"t_{key}": value for key, value in TEXTS.items()
    }


def _bound(sql: str) -> Any:
    query = text(sql)
    names = {"now", "cutoff"} & set(query.compile().params)
    return query.bindparams(*(bindparam(n, type_=UTCDateTime()) for n in sorted(names)))


def same_rows(engine: Engine, shape: str, stream_id: int) -> int:
    """The hand-written transaction with `shape`'s event test: the leads it made."""
    hits = HITS.format(event=EVENT_PART[shape])
    params = _params(stream_id)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            explanation = _explanation("jsonb_build_object", "true", "false")
            sql = POSTGRES.format(hits=hits, explanation=explanation)
            return connection.execute(_bound(sql), params).rowcount
        explanation = _explanation("json_object", "json('true')", "json('false')")
        params["before"] = connection.scalar(text("SELECT coalesce(max(id), 0) FROM leads"))
        made = 0
        for statement in SQLITE:
            sql = statement.format(hits=hits, explanation=explanation)
            made = connection.execute(_bound(sql), params).rowcount
        return made


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def written(connection: Connection) -> dict[str, list[Any]]:
    """The rows a run wrote, by contact, without ids, times and the job's id."""
    leads = connection.execute(text(
        "SELECT l.contact_id, l.stage, l.hidden, l.assignee_id, l.closed_at, l.cleared_at, "
        "s.from_stage, s.to_stage, s.user_id FROM leads l "
        "JOIN lead_stage_changes s ON s.lead_id = l.id ORDER BY l.contact_id")).all()  # fmt: skip
    matches = []
    for row in connection.execute(text(
        "SELECT m.contact_id, m.stream_id, m.origin, m.trigger, m.explanation, m.cleared_at, "
        "m.superseded_at, m.lead_id = l.id FROM matches m JOIN leads l "
        "ON l.contact_id = m.contact_id ORDER BY m.contact_id")):  # fmt: skip
        trigger = _json(row[3])
        matches.append((*row[:3], trigger.pop("job_id", None) is not None, trigger,
                        _json(row[4]), *row[5:]))  # fmt: skip
    outbox = []
    for topic, lead_id, payload in connection.execute(
        # the leads' rows (a job also tells open pages that its stream changed: not a lead's)
        text(
            "SELECT topic, lead_id, payload FROM outbox WHERE lead_id IS NOT NULL ORDER BY lead_id"
        )
    ):
        data = _json(payload)
        outbox.append((topic, data.pop("lead_id") == lead_id, data))
    outbox.sort(key=lambda row: row[2]["contact_id"])  # lead ids come in either order
    return {"leads": [tuple(r) for r in leads], "matches": matches, "outbox": outbox}


def _timed(engine: Engine, run: Callable[[], int]) -> tuple[float, dict[str, list[Any]]]:
    _service.empty(engine, _service.MADE[:5])
    started = perf_counter()
    run()
    seconds = perf_counter() - started
    with engine.connect() as connection:
        return seconds, written(connection)


def race(
    engine: Engine,
    run_ours: Callable[[], int],
    baselines: dict[str, Callable[[], int]],
    repeats: int,
    what: str,
) -> tuple[dict[str, float], dict[str, list[Any]]]:
    """Ours and every baseline shape in turn, best of `repeats` each: the best seconds by name
    (ours as `OURS`) and the rows ours wrote. Stops the run when a shape wrote other rows."""
    runs = {**baselines, OURS: run_ours}
    best = dict.fromkeys(runs, float("inf"))
    rows: dict[str, dict[str, list[Any]]] = {}
    for _ in range(repeats):
        for name, run in runs.items():
            seconds, rows[name] = _timed(engine, run)
            best[name] = min(best[name], seconds)
    mine = rows.pop(OURS)
    for shape, written_by_shape in rows.items():
        for table, ours_rows in mine.items():
            theirs = written_by_shape[table]
            if theirs != ours_rows:
                raise SystemExit(f"{what} and the same-rows SQL ({shape}) wrote other {table}: "
                                 f"{len(ours_rows)} rows against {len(theirs)}, e.g. "
                                 f"{ours_rows[:1]} against {theirs[:1]}")  # fmt: skip
    return best, mine


def url_of(backend: str, size: Size) -> str:
    """The cached dataset of this size on this database."""
    if backend == "sqlite":
        return f"sqlite:///{sqlite_dataset(size)}"
    return postgres_dataset(size)


def measure(url: str, size: Size, repeats: int) -> dict[str, Any]:
    """As `bench.fetch_history.measure`: every shape and ours in turn, best of `repeats`."""
    ctx = _service.context(url)
    engine = ctx.database.engine
    _service.empty(engine)
    stream_id = _service.add_stream(ctx, team_id=_service.team(ctx), name="Bench", rules=RULE)
    baselines = {shape: partial(same_rows, engine, shape, stream_id) for shape in EVENT_PART}
    best, mine = race(engine, partial(ours, ctx, stream_id), baselines, repeats, "fetch history")
    _service.empty(engine)
    engine.dispose()
    shapes = {s: best[s] for s in EVENT_PART}
    fastest = min(shapes, key=shapes.__getitem__)
    return {
        "contacts": size.contacts, "events": size.events, "leads": len(mine["leads"]),
        "ours_s": round(best[OURS], 3), "baseline_s": round(shapes[fastest], 3),
        "baseline_shape": fastest, "ratio": round(best[OURS] / shapes[fastest], 3),
        "shapes_s": {s: round(t, 3) for s, t in shapes.items()},
    }  # fmt: skip


def fetch_history_vs_same_rows(backend: str, size: Size, repeats: int = 3) -> Outcome:
    row = measure(url_of(backend, size), size, repeats)
    print(f"  fetch history vs same rows, {backend}: {row}", flush=True)
    note = (f"{row['ours_s']}s vs {row['baseline_s']}s ({row['baseline_shape']}), "
            f"{row['contacts']:,} contacts, {row['leads']} leads")  # fmt: skip
    figure = Figure(f"fetch_history_vs_same_rows_{backend}", row["ratio"], "<= 1.15", note)
    return Outcome([figure], {f"fetch_history_same_rows_{backend}": row})
