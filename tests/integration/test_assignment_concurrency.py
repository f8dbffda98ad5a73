"""Several processes delivering leads to one team on PostgreSQL never exceed a member's
monthly capacity: the team's settings row is locked while a lead is assigned."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from leadstreams.clock import FixedClock
from leadstreams.config import Settings
from leadstreams.domain.assignment import Policy
from leadstreams.schemas.delivery import AssignmentSettings, MemberSettings, TeamDeliveryUpdate
from leadstreams.schemas.events import EventCreate
from leadstreams.services import team_delivery
from leadstreams.services.context import Context
from leadstreams.store.database import Database
from leadstreams.store.tables import lead_assignments, leads
from tests.support import builders
from tests.support.service import START, make_context, reset

pytestmark = pytest.mark.postgres
PROCESSES = 4
LEADS_EACH = 8
CAPACITY = 5


@pytest.fixture
def pg(postgres_engine: Engine) -> Context:
    reset(postgres_engine)
    return make_context(postgres_engine, postgres_engine.url.render_as_string(hide_password=False))


def _deliver(url: str, worker: int, start: Any) -> None:
    """One process: wait for the others, then make leads of new contacts, one by one."""
    settings = Settings(database_url=url, secret_key="x" * 32)
    ctx = Context(settings=settings, database=Database.at(url), clock=FixedClock(START))
    start.wait()
    for n in range(LEADS_EACH):
        data = EventCreate(email=f"w{worker}-{n}@example.com", type="form_submitted")
        builders.record(ctx, data)


def test_concurrent_deliveries_never_exceed_a_capacity(pg: Context) -> None:
    team_id = builders.team(pg)
    people = [builders.user(pg, f"s{n}@example.com", team_ids=[team_id]) for n in range(2)]
    boss = builders.user(pg, "boss@example.com", team_ids=[team_id])
    members = [MemberSettings(user_id=u, monthly_capacity=CAPACITY) for u in people]
    assignment = AssignmentSettings(
        policy=Policy.ROUND_ROBIN, members=members, fallback_user_id=boss
    )
    team_delivery.put_delivery(pg, team_id=team_id, data=TeamDeliveryUpdate(assignment=assignment))
    builders.stream(pg, {"event": "form_submitted"}, team_ids=[team_id], name="Any form")
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Manager().Barrier(PROCESSES)
    with spawn.Pool(PROCESSES) as pool:
        pool.starmap(
            _deliver,
            [(url, w, start) for w in range(PROCESSES) for url in [pg.settings.database_url]],
        )
    with pg.database.engine.connect() as connection:
        per_user = dict(
            connection.execute(
                select(leads.c.assignee_id, func.count()).group_by(leads.c.assignee_id)
            )
            .tuples()
            .all()
        )
        recorded = connection.scalar(select(func.count()).select_from(lead_assignments))
    total = PROCESSES * LEADS_EACH
    assert per_user == {people[0]: CAPACITY, people[1]: CAPACITY, boss: total - 2 * CAPACITY}
    assert recorded == total
