"""The Reports page's grouped SQL (store/reports.py) and a plain Python count over the same
rows agree: leads per week, the funnel and the median time to a first move, per stream and
per team, on both databases."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, select

from leadstreams.domain.stages import Stage
from leadstreams.services.context import Context
from leadstreams.store import reports
from leadstreams.store.reports import GroupBy
from leadstreams.store.tables import contacts, lead_stage_changes, leads, matches, stream_teams
from tests.support import builders
from tests.support.examples import at_most
from tests.support.service import START, make_context, reset

SINCE = START - timedelta(days=90)
STAGES = [s.value for s in Stage]

# A lead: when it was made (days before START), its moves (hours after that, to a stage),
# and the streams that matched it (index, days after it was made).
lead_strategy = st.tuples(
    st.integers(0, 150),
    st.lists(st.tuples(st.integers(1, 2000), st.sampled_from(STAGES)), max_size=4),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 20)), min_size=1, max_size=3),
)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@settings(max_examples=at_most(60))
@given(drawn=st.lists(lead_strategy, max_size=8), by=st.sampled_from(["stream", "team"]))
def test_the_report_queries_count_what_python_counts(
    request: pytest.FixtureRequest, backend: str, drawn: list[Any], by: GroupBy
) -> None:
    engine: Engine = request.getfixturevalue(f"{backend}_engine")
    ctx = make_context(engine, engine.url.render_as_string(hide_password=False))
    stream_ids = _streams(ctx)
    rows = _world(ctx, drawn, stream_ids)
    with ctx.uow(read_only=True) as uow:
        weeks = {
            (w.group_id, w.week): w.leads for w in reports.leads_per_week(uow.connection, by, SINCE)
        }
        funnels = {f.group_id: f for f in reports.funnels(uow.connection, by, SINCE)}
        medians = reports.median_seconds_to_first_move(uow.connection, by, SINCE)
        teams_of = _teams_of(uow.connection)
    arrivals = _arrivals(rows, by, teams_of)
    assert weeks == dict(Counter((g, reports.week_of(at)) for (g, _), at in arrivals.items()))
    expected_funnels = _funnels(rows, arrivals)
    assert {g: (f.leads, f.sql, f.opportunity, f.won, f.lost) for g, f in funnels.items()} == (
        expected_funnels
    )
    expected_medians = _medians(rows, arrivals)
    assert medians.keys() == expected_medians.keys()
    for group, seconds in expected_medians.items():
        assert abs(medians[group] - seconds) < 0.5, (group, medians[group], seconds)


def _streams(ctx: Context) -> list[int]:
    """Three streams; the first two feed one team, the third two teams (made once a test)."""
    with ctx.uow(read_only=True) as uow:
        made = [row.stream_id for row in uow.connection.execute(select(stream_teams))]
    if made:
        return sorted(set(made))
    reset(ctx.database.engine)
    north, south = builders.team(ctx, "North"), builders.team(ctx, "South")
    rules = {"all": [{"field": "country", "op": "eq", "value": "SE"}]}
    return [
        builders.stream(ctx, rules, team_ids=teams, name=name, active=False)
        for name, teams in (("A", [north]), ("B", [north]), ("C", [north, south]))
    ]


def _world(ctx: Context, drawn: list[Any], stream_ids: list[int]) -> dict[str, Any]:
    lead_rows: dict[int, dict[str, Any]] = {}
    moves: dict[int, list[tuple[datetime, str | None, str]]] = defaultdict(list)
    found: list[tuple[int, int, datetime]] = []  # (lead, stream, matched_at)
    with ctx.uow() as uow:
        run = uow.connection.execute
        for table in (matches, lead_stage_changes, leads, contacts):
            run(delete(table))
        for n, (days_ago, drawn_moves, drawn_matches) in enumerate(drawn):
            created = START - timedelta(days=days_ago)
            contact_id = run(
                insert(contacts).values(email=f"c{n}@example.com", created_at=created,
                                        updated_at=created).returning(contacts.c.id)
            ).scalar_one()  # fmt: skip
            stage = drawn_moves[-1][1] if drawn_moves else "mql"
            lead_id = run(
                insert(leads).values(
                    contact_id=contact_id, stage=stage, hidden=False, created_at=created,
                    updated_at=created, closed_at=created if stage in ("won", "lost") else None,
                ).returning(leads.c.id)
            ).scalar_one()  # fmt: skip
            lead_rows[lead_id] = {"created": created, "stage": stage}
            changes = [(created, None, "mql")]
            previous = "mql"
            for hours, to in sorted(drawn_moves):
                changes.append((created + timedelta(hours=hours), previous, to))
                previous = to
            for at, from_stage, to in changes:
                run(insert(lead_stage_changes).values(lead_id=lead_id, from_stage=from_stage,
                                                      to_stage=to, at=at))  # fmt: skip
                moves[lead_id].append((at, from_stage, to))
            for index, after in drawn_matches:
                at = created + timedelta(days=after)
                run(insert(matches).values(
                    lead_id=lead_id, stream_id=stream_ids[index], contact_id=contact_id,
                    matched_at=at, origin="live", trigger={}, explanation={},
                    cleared_at=at,  # no current-match key in the way: the report reads all
                ))  # fmt: skip
                found.append((lead_id, stream_ids[index], at))
        uow.commit()
    return {"leads": lead_rows, "moves": moves, "matches": found}


def _teams_of(connection: Any) -> dict[int, list[int]]:
    teams: dict[int, list[int]] = defaultdict(list)
    for row in connection.execute(select(stream_teams)):
        teams[row.stream_id].append(row.team_id)
    return teams


def _arrivals(
    rows: dict[str, Any], by: GroupBy, teams_of: dict[int, list[int]]
) -> dict[tuple[int, int], datetime]:
    """(group, lead) -> the first time the group matched the lead, when that is in the period."""
    first: dict[tuple[int, int], datetime] = {}
    for lead_id, stream_id, at in rows["matches"]:
        for group in [stream_id] if by == "stream" else teams_of[stream_id]:
            key = (group, lead_id)
            first[key] = min(first.get(key, at), at)
    return {key: at for key, at in first.items() if at >= SINCE}


def _funnels(
    rows: dict[str, Any], arrivals: dict[tuple[int, int], datetime]
) -> dict[int, tuple[int, ...]]:
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for group, lead_id in arrivals:
        reached = {to for _, _, to in rows["moves"][lead_id]}
        stage = rows["leads"][lead_id]["stage"]
        tally = counts[group]
        tally[0] += 1
        tally[1] += bool(reached & {"sql", "opportunity", "won"})
        tally[2] += bool(reached & {"opportunity", "won"})
        tally[3] += stage == "won"
        tally[4] += stage == "lost"
    return {group: tuple(tally) for group, tally in counts.items()}


def _medians(rows: dict[str, Any], arrivals: dict[tuple[int, int], datetime]) -> dict[int, float]:
    waits: dict[int, list[float]] = defaultdict(list)
    for group, lead_id in arrivals:
        moved = [at for at, from_stage, _ in rows["moves"][lead_id] if from_stage is not None]
        if moved:
            created = rows["leads"][lead_id]["created"]
            waits[group].append((min(moved) - created).total_seconds())
    return {group: statistics.median(values) for group, values in waits.items()}
