"""`fetch_history_broad_vs_same_rows_{sqlite,postgres}` (issue #15, item 2): a fetch-history
job of a broad rule, one that matches about a fifth of the contacts (200,000 new leads at 1M
in one job), against hand-written SQL that writes the same rows in one transaction.

The rule: lead score at least 10, category not customer, a form submitted in the last 365
days. The baseline is `bench.same_rows`' (its PostgreSQL writing CTEs and its SQLite
statements, unchanged), fed with this rule's hits and explanation: the texts as literals, the
form count of each hit computed in SQL. Two shapes of the hits are tried, the fastest kept: a
join with the events grouped by contact (set-based, as a fifth of the contacts calls for),
and the correlated count. Both sides must write the same rows, or the run stops.

Also measured: the job's peak Python memory (tracemalloc over a whole job, in a run of its
own), and the board afterwards: its first page and its counts by stage over the new leads,
read through the service as the board reads them.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, text

from bench import _service
from bench._report import Figure, Outcome
from bench.data import NOW, Size
from bench.fetch_history import _peak_memory_mb, ours
from bench.same_rows import OURS, POSTGRES, SQLITE, _bound, race, url_of
from leadstreams.domain.roles import Role
from leadstreams.services import leads as leads_service
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context

RULE: dict[str, Any] = {"all": [
    {"field": "lead_score", "op": "gte", "value": 10},
    {"not": {"field": "category", "op": "eq", "value": "customer"}},
    {"event": "form_submitted", "min_count": 1, "within_days": 365},
]}  # fmt: skip
CUTOFF = NOW - timedelta(days=365)
TEXTS = {  # the explanation's plain English, for this one rule
    "rule": "Lead score is at least 10, and category is not customer, and submitted a form in "
    "the last 365 days",
    "score": "Lead score is at least 10",
    "not_customer": "Category is not customer",
    "customer": "Category is customer",
    "asked": "Submitted a form in the last 365 days",
}
# The hits, with the columns `bench.same_rows`' statements read (country unused here).
HITS = {
    "join_group_by": """SELECT c.id, c.lead_score, c.country, c.category, f.asked
FROM contacts c JOIN (SELECT e.contact_id, count(*) AS asked FROM events e
  WHERE e.type = 'form_submitted' AND e.occurred_at >= :cutoff GROUP BY e.contact_id) f
  ON f.contact_id = c.id
WHERE c.lead_score >= 10 AND c.category <> 'customer'""",
    "correlated_count": """SELECT id, lead_score, country, category, asked FROM (
  SELECT c.id, c.lead_score, c.country, c.category,
    (SELECT count(*) FROM events e WHERE e.contact_id = c.id AND e.type = 'form_submitted'
     AND e.occurred_at >= :cutoff) AS asked
  FROM contacts c WHERE c.lead_score >= 10 AND c.category <> 'customer') AS x
WHERE asked >= 1""",
}


def _explanation(obj: str, true: str, false: str) -> str:
    """The explanation of a hit `h` as a JSON expression (`obj`: the JSON object function)."""

    def node(held: str, text: str, *rest: str) -> str:
        return f"{obj}('held', {held}, 'text', CAST(:t_{text} AS text), {', '.join(rest)})"

    customer = node(false, "customer", "'field', 'category'", "'seen', h.category")
    branches = [
        node(true, "score", "'field', 'lead_score'", "'seen', h.lead_score"),
        node(true, "not_customer", f"'not', {customer}"),
        node(true, "asked", "'event', 'form_submitted'", "'count', h.asked", "'min_count', 1",
             "'within_days', 365"),
    ]  # fmt: skip
    array = "jsonb_build_array" if obj.startswith("jsonb") else "json_array"
    return node(true, "rule", f"'all', {array}({', '.join(branches)})")


def same_rows(engine: Engine, shape: str, stream_id: int) -> int:
    """The hand-written transaction with `shape`'s hits: the leads it made."""
    params = {"now": NOW, "cutoff": CUTOFF, "stream": stream_id}
    params |= {f"t_{key}": value for key, value in TEXTS.items()}
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            explanation = _explanation("jsonb_build_object", "true", "false")
            sql = POSTGRES.format(hits=HITS[shape], explanation=explanation)
            return connection.execute(_bound(sql), params).rowcount
        explanation = _explanation("json_object", "json('true')", "json('false')")
        params["before"] = connection.scalar(text("SELECT coalesce(max(id), 0) FROM leads"))
        made = 0
        for statement in SQLITE:
            sql = statement.format(hits=HITS[shape], explanation=explanation)
            made = connection.execute(_bound(sql), params).rowcount
        return made


def board_seconds(ctx: Context, team_id: int) -> dict[str, float]:
    """The board over the job's leads, as a sales user of the stream's team reads it: the
    first page of the team's leads, and the counts of its columns (by stage)."""
    who = Principal(0, "bench@example.com", "Bench", Role.SALES, (team_id,))
    query = leads_service.LeadQuery(team_id=team_id)
    started = perf_counter()
    page = leads_service.list_leads(ctx, who=who, query=query)
    first_page = perf_counter() - started
    started = perf_counter()
    with ctx.uow(read_only=True) as uow:
        counts = leads_service.count_by_stage(uow, who=who, query=query)
    by_stage = perf_counter() - started
    if not page.items or sum(counts.values()) == 0:
        raise SystemExit("the board shows none of the broad job's leads")
    return {"first_page_s": round(first_page, 3), "count_by_stage_s": round(by_stage, 3),
            "open_leads": sum(counts.values())}  # fmt: skip


def measure(url: str, size: Size, repeats: int) -> dict[str, Any]:
    """As `bench.same_rows.measure`: every shape and ours in turn, best of `repeats`; then a
    job of its own under tracemalloc, and the board after it."""
    ctx = _service.context(url)
    engine = ctx.database.engine
    _service.empty(engine)
    team_id = _service.team(ctx)
    stream_id = _service.add_stream(ctx, team_id=team_id, name="Broad", rules=RULE)
    baselines = {shape: partial(same_rows, engine, shape, stream_id) for shape in HITS}
    best, mine = race(engine, partial(ours, ctx, stream_id), baselines, repeats,
                      "broad fetch history")  # fmt: skip
    leads = len(mine["leads"])
    peak = _peak_memory_mb(engine, ctx, stream_id)
    board = board_seconds(ctx, team_id)
    _service.empty(engine)
    engine.dispose()
    fastest = min(HITS, key=best.__getitem__)
    return {
        "contacts": size.contacts, "events": size.events, "leads": leads,
        "ours_s": round(best[OURS], 3), "baseline_s": round(best[fastest], 3),
        "baseline_shape": fastest, "ratio": round(best[OURS] / best[fastest], 3),
        "shapes_s": {s: round(best[s], 3) for s in HITS}, "peak_python_mb": peak,
        "board": board,
    }  # fmt: skip


_MEASURED: dict[tuple[str, Size], dict[str, Any]] = {}


def measured(backend: str, size: Size, repeats: int) -> dict[str, Any]:
    """`measure` once per run of `python -m bench` for a database and size: the growth part
    reports the same measurement as this one."""
    if (backend, size) not in _MEASURED:
        started = perf_counter()
        _MEASURED[backend, size] = measure(url_of(backend, size), size, repeats)
        print(f"  broad fetch history, {backend} {size.key}: {_MEASURED[backend, size]} "
              f"({perf_counter() - started:.0f}s)", flush=True)  # fmt: skip
    return _MEASURED[backend, size]


def fetch_history_broad(backend: str, sizes: list[Size], repeats: int = 3) -> Outcome:
    """At each size (the memory's flatness shows across them); the figure is the last's."""
    rows = [measured(backend, size, repeats) for size in sizes]
    top = rows[-1]
    memory = ", ".join(f"{r['peak_python_mb']} MB at {r['contacts']:,}" for r in rows)
    note = (
        f"{top['ours_s']}s vs {top['baseline_s']}s ({top['baseline_shape']}), "
        f"{top['contacts']:,} contacts, {top['leads']:,} leads; peak Python {memory}"
    )
    figure = Figure(f"fetch_history_broad_vs_same_rows_{backend}", top["ratio"], "<= 1.3", note)
    return Outcome([figure], {f"fetch_history_broad_{backend}_by_size": rows})
