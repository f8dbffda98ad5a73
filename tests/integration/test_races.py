"""Two transactions after one unique key (PostgreSQL): the one that checked first and wrote
second gets the documented 409, not a 500, and the data stays right.

The first writer holds its write uncommitted while the use case runs: the use case's check
sees nothing yet, its write waits on the key, and fails once the first commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.engine import Connection

from leadstreams.domain.roles import Role
from leadstreams.errors import Conflict
from leadstreams.schemas.leads import LeadUpdate
from leadstreams.schemas.streams import StreamCreate
from leadstreams.schemas.users import TeamCreate, UserCreate
from leadstreams.services import leads, streams, users
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.store import users as users_store
from leadstreams.store.tables import leads as leads_table
from leadstreams.store.tables import streams as streams_table
from leadstreams.store.tables import teams
from leadstreams.store.tables import users as users_table
from tests.support import builders
from tests.support.service import START, make_context, reset

pytestmark = pytest.mark.postgres
PATIENCE = 30.0


@pytest.fixture
def pg(postgres_engine: Engine) -> Context:
    reset(postgres_engine)
    return make_context(postgres_engine, postgres_engine.url.render_as_string(hide_password=False))


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        query = text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(connection.scalar(query))


def _second_writer_outcome(
    ctx: Context, first: Callable[[Connection], None], second: Callable[[], Any]
) -> BaseException | None:
    """`first` writes and holds its transaction; `second` (a use case) runs until it waits on
    the key; `first` commits; what `second` raised."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            second()
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    engine = ctx.database.engine
    with engine.connect() as connection:
        connection.begin()
        first(connection)
        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + PATIENCE
        while not _waiting_on_a_lock(engine):
            assert thread.is_alive(), f"the use case did not wait: {outcome}"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        connection.commit()
    thread.join(PATIENCE)
    return outcome[0]


def _count(ctx: Context, table: Any, *where: Any) -> int:
    with ctx.database.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table).where(*where)))


def test_a_team_name_taken_meanwhile_is_409(pg: Context) -> None:
    error = _second_writer_outcome(
        pg,
        lambda c: users_store.create_team(c, name="Nordics", at=START) and None,
        lambda: users.create_team(pg, data=TeamCreate(name="nordics")),
    )
    assert isinstance(error, Conflict) and "team with this name" in error.message
    assert _count(pg, teams) == 1


def test_a_user_e_mail_taken_meanwhile_is_409(pg: Context) -> None:
    data = UserCreate(email="sam@example.com", name="Sam", role="admin", password="x" * 12)

    def first(connection: Connection) -> None:
        users_store.create(
            connection, email=data.email, name="S", role=Role.ADMIN, password_hash="h", at=START
        )

    error = _second_writer_outcome(pg, first, lambda: users.create_user(pg, data=data))
    assert isinstance(error, Conflict) and "user with this e-mail" in error.message
    assert _count(pg, users_table) == 1


def test_a_stream_name_taken_meanwhile_is_409(pg: Context) -> None:
    team_id = users.create_team(pg, data=TeamCreate(name="Nordics")).id
    rules = {"field": "lead_score", "op": "gte", "value": 50}
    data = StreamCreate(name="Hot", rules=rules, team_ids=[team_id])
    builders.stream(pg, rules, team_ids=[team_id], name="Draft", active=False)

    def first(connection: Connection) -> None:  # a rename to the same name, held
        connection.execute(update(streams_table).values(name="Hot", name_key="hot"))

    error = _second_writer_outcome(
        pg, first, lambda: streams.create_stream(pg, data=data, user_id=None)
    )
    assert isinstance(error, Conflict) and "stream with this name" in error.message
    assert _count(pg, streams_table) == 1


def test_reopening_two_closed_leads_of_one_contact_at_once_is_409_for_the_second(
    pg: Context,
) -> None:
    team_id = users.create_team(pg, data=TeamCreate(name="Nordics")).id
    rules = {"field": "lead_score", "op": "gte", "value": 50}
    builders.stream(pg, rules, team_ids=[team_id])
    contact_id = builders.contact(pg, "ann@example.com", lead_score=70)
    data = UserCreate(email="a@example.com", name="A", role="admin", password="x" * 12)
    user = users.create_user(pg, data=data)
    admin = Principal(id=user.id, email=user.email, name="A", role=Role.ADMIN, team_ids=())
    with pg.database.engine.begin() as connection:
        lead_ids = list(connection.scalars(select(leads_table.c.id)))
        connection.execute(update(leads_table).values(closed_at=START, stage="lost"))
        second_id = connection.execute(
            leads_table.insert().values(
                contact_id=contact_id,
                stage="won",
                hidden=False,
                created_at=START,
                updated_at=START,
                closed_at=START,
            )
        ).inserted_primary_key[0]
    [one] = lead_ids

    def first(connection: Connection) -> None:  # another user reopens the other lead, held
        connection.execute(
            update(leads_table).where(leads_table.c.id == one).values(closed_at=None, stage="sql")
        )

    error = _second_writer_outcome(
        pg,
        first,
        lambda: leads.update_lead(pg, who=admin, lead_id=second_id, data=LeadUpdate(stage="sql")),
    )
    assert isinstance(error, Conflict) and "another open lead" in error.message
    assert _count(pg, leads_table, leads_table.c.closed_at.is_(None)) == 1
