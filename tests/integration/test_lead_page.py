"""A page of leads as `GET /leads` reads it (`services.leads.read_page`): four statements for
any number of leads, and the matches and teams the separate queries read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection

from leadstreams.domain.roles import Role
from leadstreams.services import fetch_history, leads, streams
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.services.leads import LeadQuery
from leadstreams.store import board as board_store
from tests.support import builders

ADMIN = Principal(id=0, email="", name="test", role=Role.ADMIN, team_ids=())


def _board(ctx: Context) -> None:
    """Four leads: each matched by a stream of two teams, the first two also by one of a
    single team (a card's matches and its teams come from rows per match and team), and
    each once by a stream of a third team whose matches were then cleared (neither its
    match nor its team is shown)."""
    north, south, west = (builders.team(ctx, name) for name in ("North", "South", "West"))
    builders.stream(ctx, {"all": [{"event": "form_submitted"}]}, team_ids=[north, south])
    builders.stream(ctx, {"all": [{"event": "page_visited"}]}, team_ids=[south], name="Visits")
    cleared = builders.stream(ctx, {"all": [{"event": "form_submitted"}]}, team_ids=[west],
                              name="Cleared")  # fmt: skip
    for n in range(4):
        builders.event(ctx, f"p{n}@example.com", properties={"form": "Contact us"})
        if n < 2:
            builders.event(ctx, f"p{n}@example.com", "page_visited")
    streams.set_active(ctx, stream_id=cleared, active=False, user_id=None)
    assert fetch_history.clear_stream(ctx, stream_id=cleared, user_id=None) == 4


@contextmanager
def _statements(connection: Connection) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_: Connection, __: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", count)


def test_a_page_takes_four_statements_for_one_lead_as_for_four(ctx: Context) -> None:
    """The leads, their contacts, their matches with their streams' teams, their last
    assignments: each statement is a round trip to a PostgreSQL server."""
    _board(ctx)
    with ctx.uow(read_only=True) as uow:
        counted = []
        for limit in (1, 4):
            with _statements(uow.connection) as seen:
                page = leads.read_page(uow, who=ADMIN, query=LeadQuery(limit=limit))
            assert len(page.items) == limit
            counted.append(len(seen))
    assert counted == [4, 4]


def test_a_page_shows_each_match_once_and_every_team_of_its_streams(ctx: Context) -> None:
    _board(ctx)
    with ctx.uow(read_only=True) as uow:
        page = leads.read_page(uow, who=ADMIN, query=LeadQuery())
        lead_ids = [lead.id for lead in page.items]
        teams = board_store.team_ids_of_leads(uow.connection, lead_ids=lead_ids)
        matched = board_store.matches_of(uow.connection, lead_ids=lead_ids)
    assert len(lead_ids) == 4
    for lead in page.items:
        assert lead.team_ids == teams[lead.id]
        assert [m.stream_id for m in lead.matches] == [
            m.stream_id for m in matched if m.lead_id == lead.id
        ]
    assert sorted(len(lead.matches) for lead in page.items) == [1, 1, 2, 2]
    assert all(len(lead.team_ids) == 2 for lead in page.items)
