"""Requalification (rule 3) as both paths write it, on the boundary and across streams.

A closed lead's match exactly `requalify_after_days` old gives way to a new match, and only
that match is superseded: not the contact's match in another stream, nor the old match of a
contact that no longer matches. A contact requalifying in two streams gets one new lead.
The live = history property test compares the two paths; these pin down what both write
(they share the match writer, so a fault there would leave the same wrong rows on both).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from leadstreams.clock import FixedClock
from leadstreams.schemas.contacts import ContactCreate
from leadstreams.services import contacts, fetch_history, jobs
from leadstreams.services.context import Context
from leadstreams.store.tables import lead_stage_changes, leads, matches, outbox
from tests.support import builders
from tests.support.service import START

PERIOD = 30


def _world(ctx: Context) -> tuple[int, int, int, int]:
    """Two requalifying streams on the same rule; `back` and `gone` matched both (one lead
    each), their leads were won, then `gone` stopped matching. The clock stands exactly
    PERIOD days after those matches."""
    team_id = builders.team(ctx)
    first, second = (
        builders.stream(
            ctx,
            builders.SCORE_AT_LEAST_50,
            team_ids=[team_id],
            name=name,
            requalify_after_days=PERIOD,
        )
        for name in ("First", "Second")
    )
    back = builders.contact(ctx, "back@x.com", lead_score=60)
    gone = builders.contact(ctx, "gone@x.com", lead_score=60)
    with ctx.uow() as uow:
        uow.connection.execute(leads.update().values(stage="won", closed_at=START))
        uow.commit()
    _score(ctx, "gone@x.com", 10)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(days=PERIOD)
    return first, second, back, gone


def _score(ctx: Context, email: str, score: int) -> None:
    contacts.upsert_contact(ctx, data=ContactCreate(email=email, lead_score=score))


def _fetch(ctx: Context, stream_id: int) -> None:
    fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    assert jobs.run_next(ctx, worker="w") is not None


def _matches(ctx: Context) -> list[tuple[int, int, int, bool]]:
    """(stream, contact, lead, superseded) of every match, oldest first."""
    with ctx.uow(read_only=True) as uow:
        rows = uow.connection.execute(select(matches).order_by(matches.c.id))
        return [(r.stream_id, r.contact_id, r.lead_id, r.superseded_at is not None) for r in rows]


def _leads(ctx: Context) -> list[tuple[int, int, str]]:
    with ctx.uow(read_only=True) as uow:
        rows = uow.connection.execute(select(leads).order_by(leads.c.id))
        return [(r.id, r.contact_id, r.stage) for r in rows]


def _first_stage(ctx: Context, lead_id: int) -> list[tuple[Any, ...]]:
    query = select(lead_stage_changes).where(lead_stage_changes.c.lead_id == lead_id)
    with ctx.uow(read_only=True) as uow:
        return [(r.from_stage, r.to_stage, r.at) for r in uow.connection.execute(query)]


def _topics(ctx: Context, lead_id: int) -> list[str]:
    query = select(outbox.c.topic).where(outbox.c.lead_id == lead_id).order_by(outbox.c.id)
    with ctx.uow(read_only=True) as uow:
        return list(uow.connection.scalars(query))


def test_fetch_history_requalifies_at_exactly_the_period_in_its_own_stream_only(
    ctx: Context,
) -> None:
    first, second, back, gone = _world(ctx)
    [(old_back, _, _), (old_gone, _, _)] = _leads(ctx)

    _fetch(ctx, second)  # the later stream first: the earlier one's match comes first

    [*_, (new_lead, contact_id, stage)] = _leads(ctx)
    assert (contact_id, stage) == (back, "mql")
    assert len(_leads(ctx)) == 3
    assert sorted(_matches(ctx)) == sorted([
        (first, back, old_back, False),  # another stream's: kept
        (second, back, old_back, True),  # the only one superseded
        (first, gone, old_gone, False),  # no longer matches: kept
        (second, gone, old_gone, False),
        (second, back, new_lead, False),
    ])  # fmt: skip
    assert _first_stage(ctx, new_lead) == [(None, "mql", START + timedelta(days=PERIOD))]

    _fetch(ctx, first)  # the first stream requalifies too, and joins the new lead

    assert len(_leads(ctx)) == 3
    assert sorted(_matches(ctx)) == sorted([
        (first, back, old_back, True),
        (second, back, old_back, True),
        (first, gone, old_gone, False),
        (second, gone, old_gone, False),
        (first, back, new_lead, False),
        (second, back, new_lead, False),
    ])  # fmt: skip
    assert _topics(ctx, new_lead) == ["lead.created", "lead.matched"]


def test_fetch_history_a_moment_before_the_period_makes_nothing(ctx: Context) -> None:
    first, _, _, _ = _world(ctx)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(seconds=-1)
    before = _matches(ctx)

    _fetch(ctx, first)

    assert _matches(ctx) == before
    assert len(_leads(ctx)) == 2


def test_a_live_change_at_exactly_the_period_requalifies_both_streams_on_one_new_lead(
    ctx: Context,
) -> None:
    first, second, back, gone = _world(ctx)
    [(old_back, _, _), (old_gone, _, _)] = _leads(ctx)

    _score(ctx, "back@x.com", 61)

    [*_, (new_lead, contact_id, stage)] = _leads(ctx)
    assert (contact_id, stage) == (back, "mql")
    assert len(_leads(ctx)) == 3
    assert sorted(_matches(ctx)) == sorted([
        (first, back, old_back, True),
        (second, back, old_back, True),
        (first, gone, old_gone, False),
        (second, gone, old_gone, False),
        (first, back, new_lead, False),
        (second, back, new_lead, False),
    ])  # fmt: skip
    assert _first_stage(ctx, new_lead) == [(None, "mql", START + timedelta(days=PERIOD))]
    assert _topics(ctx, new_lead) == ["lead.created", "lead.matched"]
