"""`report_queries_vs_scan`: the Reports page's three grouped queries (leads per week, the
funnel, the median time to a first move), per stream and per team, on a board of 200,000
leads (quick: 20,000) over 5 teams and 20 streams, each timed against one plain scan that
joins the same rows (matches, leads, stage changes) and only counts them: the floor any
query over these rows pays. SQLite, best of 3. The scan must count the (stream, lead) pairs
that the funnel counts, or the run stops.
"""

from __future__ import annotations

import random
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, text

from bench import _service
from bench._report import Figure, Outcome, best_of
from bench.data import NOW
from leadstreams.bootstrap import init_database
from leadstreams.store import reports
from leadstreams.store.tables import contacts, leads, matches, stream_teams, streams, teams
from leadstreams.store.tables import lead_stage_changes as changes

STREAMS, TEAMS = 20, 5
STAGES = ["sql", "opportunity", "won", "lost"]
_SCAN = text(
    "SELECT m.stream_id, COUNT(DISTINCT m.lead_id) FROM matches m JOIN leads l ON l.id = m.lead_id"
    " LEFT JOIN lead_stage_changes c ON c.lead_id = m.lead_id GROUP BY m.stream_id"
)


def report_queries_vs_scan(leads: int, seed: int) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        ctx = _service.context(f"sqlite:///{Path(folder) / 'reports.db'}")
        init_database(ctx)
        _board(ctx.database.engine, leads, random.Random(seed))
        since = NOW - timedelta(days=365)
        with ctx.database.engine.connect() as connection:
            scan, scanned = best_of(3, lambda: dict(connection.execute(_SCAN).all()))
            timings: dict[str, float] = {}
            for by in ("stream", "team"):
                for name, query in (
                    ("leads_per_week", reports.leads_per_week),
                    ("funnel", reports.funnels),
                    ("median_first_move", reports.median_seconds_to_first_move),
                ):
                    timings[f"{name}_{by}"], result = best_of(
                        3, lambda q=query, b=by: q(connection, b, since)
                    )
                    if name == "funnel" and by == "stream":
                        counted = {f.group_id: f.leads for f in result}
                        assert counted == scanned, "the funnel and the scan count other leads"
        ctx.database.dispose()
    slowest = max(timings, key=timings.__getitem__)
    return Outcome(
        figures=[
            Figure("report_queries_vs_scan", timings[slowest] / scan, "report",
                   f"{leads:,} leads: slowest {slowest} {timings[slowest] * 1000:.0f} ms, "
                   f"scan {scan * 1000:.0f} ms"),
            Figure("report_slowest_query_ms", timings[slowest] * 1000, "report"),
        ],
        details={"leads": leads, "scan_s": scan, "queries_s": timings},
    )  # fmt: skip


def _board(engine: Engine, count: int, rng: random.Random) -> None:
    """Teams, streams (four per team, every fifth shared with the next team), and `count`
    leads of the past year with one to three matches and up to three moves each."""
    made: dict[Table, list[dict[str, Any]]] = {
        table: [] for table in (teams, streams, stream_teams, contacts, leads, matches, changes)
    }
    for team in range(1, TEAMS + 1):
        made[teams].append({"id": team, "name": f"Team {team}", "name_key": f"team {team}",
                            "created_at": NOW})  # fmt: skip
    for stream in range(1, STREAMS + 1):
        made[streams].append({"id": stream, "name": f"Stream {stream}",
                              "name_key": f"stream {stream}", "rules": {"all": []},
                              "created_at": NOW, "updated_at": NOW})  # fmt: skip
        team = (stream - 1) // 4 + 1
        made[stream_teams].append({"stream_id": stream, "team_id": team})
        if stream % 5 == 0:
            made[stream_teams].append({"stream_id": stream, "team_id": team % TEAMS + 1})
    for n in range(1, count + 1):
        created = NOW - timedelta(days=rng.uniform(0, 365))
        made[contacts].append({"id": n, "email": f"c{n}@example.com", "created_at": created,
                               "updated_at": created})  # fmt: skip
        stage, at = "mql", created
        made[changes].append({"lead_id": n, "from_stage": None, "to_stage": stage, "at": at})
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            at += timedelta(hours=rng.uniform(1, 200))
            made[changes].append({"lead_id": n, "from_stage": stage,
                                  "to_stage": (stage := rng.choice(STAGES)), "at": at})  # fmt: skip
        made[leads].append({"id": n, "contact_id": n, "stage": stage, "hidden": False,
                            "created_at": created, "updated_at": at,
                            "closed_at": at if stage in ("won", "lost") else None})  # fmt: skip
        for stream in rng.sample(range(1, STREAMS + 1), rng.choice([1, 1, 2, 3])):
            made[matches].append({"lead_id": n, "stream_id": stream, "contact_id": n,
                                  "matched_at": created, "origin": "live"})  # fmt: skip
    with engine.begin() as connection:
        for table, rows in made.items():
            for start in range(0, len(rows), 20_000):
                connection.execute(table.insert(), rows[start : start + 20_000])
