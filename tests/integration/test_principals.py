"""Who a token stands for, remembered for a moment (services/auth.Principals), and forgotten
as soon as a use case of this process commits a change to users or teams; changes made
elsewhere are seen in time."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Connection

from leadstreams.domain.roles import Role
from leadstreams.errors import Unauthenticated
from leadstreams.schemas.users import TeamUpdate, UserUpdate
from leadstreams.services import auth, users
from leadstreams.services.auth import Principals, Tokens
from leadstreams.services.context import Context
from leadstreams.store import users as users_store
from leadstreams.store.engine import make_engine
from leadstreams.store.tables import users as users_table
from tests.support import builders
from tests.support.service import START


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens() -> Tokens:
    return Tokens("k" * 32, ttl_seconds=3600)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The user ids read from the database."""
    read: list[int] = []
    original = auth.credentials_principal

    def counted(ctx: Context, *, user_id: int, **credential: Any) -> auth.Principal:
        read.append(user_id)
        return original(ctx, user_id=user_id, **credential)

    monkeypatch.setattr(auth, "credentials_principal", counted)
    return read


def _token(ctx: Context, tokens: Tokens, user_id: int) -> str:
    return tokens.issue(auth.principal(ctx, user_id=user_id))


def test_a_token_is_checked_and_its_user_read_once_while_remembered(
    ctx: Context, tokens: Tokens, clock: Clock, reads: list[int]
) -> None:
    user_id = builders.user(ctx, "ann@example.com", role="marketing")
    principals = Principals(ctx, tokens, seconds=1.0, clock=clock)
    token = _token(ctx, tokens, user_id)

    assert principals.cached(token) is None
    first = principals.lookup(token)
    assert principals.cached(token) == first == principals.lookup(token)
    assert reads == [user_id]
    clock.now += 1.0
    assert principals.cached(token) is None
    assert principals.lookup(token) == first
    assert reads == [user_id, user_id]
    with pytest.raises(Unauthenticated):
        principals.lookup(token + "x")
    assert principals.cached(token + "x") is None


def test_nothing_is_remembered_when_told_so(ctx: Context, tokens: Tokens, reads: list[int]) -> None:
    user_id = builders.user(ctx, "ann@example.com", role="marketing")
    principals = Principals(ctx, tokens, seconds=0)
    token = _token(ctx, tokens, user_id)
    principals.lookup(token)
    assert principals.cached(token) is None
    principals.lookup(token)
    assert reads == [user_id, user_id]


def test_a_change_of_users_or_teams_in_this_process_is_seen_at_once(
    ctx: Context, tokens: Tokens, clock: Clock
) -> None:
    team_id = builders.team(ctx, "Nordics")
    user_id = builders.user(ctx, "sam@example.com", role="sales")
    principals = Principals(ctx, tokens, seconds=3600, clock=clock)
    token = _token(ctx, tokens, user_id)
    assert principals.lookup(token).team_ids == ()

    users.update_team(ctx, team_id=team_id, data=TeamUpdate(member_ids=[user_id]))
    assert principals.cached(token) is None
    assert principals.lookup(token).team_ids == (team_id,)

    users.update_user(ctx, user_id=user_id, data=UserUpdate(name="Samantha"))
    assert principals.cached(token) is None
    assert principals.lookup(token).name == "Samantha"

    users.update_user(ctx, user_id=user_id, data=UserUpdate(role=Role.MARKETING))
    assert principals.cached(token) is None
    with pytest.raises(Unauthenticated, match="ended"):  # another role: log in again
        principals.lookup(token)


def test_a_user_read_while_a_change_is_under_way_is_not_served_once_it_commits(
    ctx: Context, tokens: Tokens, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = builders.user(ctx, "ann@example.com", role="marketing")
    principals = Principals(ctx, tokens, seconds=3600, clock=clock)
    token = _token(ctx, tokens, user_id)
    seen: list[str] = []
    write = users_store.update_user

    def write_then_look_up(connection: Connection, **change: Any) -> None:
        write(connection, **change)
        seen.append(principals.lookup(token).name)  # written, not committed yet

    monkeypatch.setattr(users_store, "update_user", write_then_look_up)
    users.update_user(ctx, user_id=user_id, data=UserUpdate(name="Annie"))

    assert seen == ["ann"]
    assert principals.cached(token) is None
    assert principals.lookup(token).name == "Annie"
    assert principals.cached(token) is not None


def test_a_change_written_without_a_use_case_is_seen_once_the_memory_runs_out(
    ctx: Context, tokens: Tokens, clock: Clock
) -> None:
    """Only the use cases count changes: rows changed by hand are like another process's."""
    user_id = builders.user(ctx, "ann@example.com", role="marketing")
    principals = Principals(ctx, tokens, seconds=1.0, clock=clock)
    token = _token(ctx, tokens, user_id)
    principals.lookup(token)
    with ctx.uow() as uow:
        users_store.update_user(uow.connection, user_id=user_id, at=START, role=Role.ADMIN)
        uow.commit()

    assert principals.lookup(token).role is Role.MARKETING
    clock.now += 1.0
    assert principals.lookup(token).role is Role.ADMIN


def test_a_change_made_by_another_process_is_seen_once_the_memory_runs_out(
    ctx: Context, tokens: Tokens, clock: Clock
) -> None:
    user_id = builders.user(ctx, "ann@example.com", role="marketing")
    principals = Principals(ctx, tokens, seconds=1.0, clock=clock)
    token = _token(ctx, tokens, user_id)
    principals.lookup(token)
    elsewhere = make_engine(ctx.database.engine.url.render_as_string(hide_password=False))
    try:
        with elsewhere.begin() as connection:
            connection.execute(
                update(users_table).where(users_table.c.id == user_id).values(active=False)
            )
    finally:
        elsewhere.dispose()

    assert principals.cached(token) is not None  # for at most `seconds`
    clock.now += 1.0
    assert principals.cached(token) is None
    with pytest.raises(Unauthenticated):
        principals.lookup(token)
