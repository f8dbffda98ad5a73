"""The boards' kept count of leads per stream (`store.board_counts`): when it is reused and
when it is counted again.

Another process's change is played by a statement on a connection of our own, outside any
unit of work: this process records no commit for it, as for a write of another process.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import insert, update

from leadstreams.services.context import Context
from leadstreams.store import board_counts
from leadstreams.store.tables import matches, outbox
from tests.support import builders


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    clock = _Clock()
    monkeypatch.setattr(board_counts, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


def _counts(ctx: Context) -> dict[int, int]:
    with ctx.uow(read_only=True) as uow:
        return board_counts.lead_counts(uow.connection)


def _one_lead(ctx: Context) -> int:
    team = builders.team(ctx)
    stream = builders.stream(ctx, {"all": [builders.SCORE_AT_LEAST_50]}, team_ids=[team])
    builders.contact(ctx, "ada@example.com", lead_score=80)
    return stream


def _clear_matches_elsewhere(ctx: Context, *, with_outbox_row: bool = False) -> None:
    with ctx.database.engine.begin() as connection:
        connection.execute(update(matches).values(cleared_at=ctx.clock.now()))
        if with_outbox_row:
            connection.execute(
                insert(outbox).values(
                    topic="stream.changed", payload={}, created_at=ctx.clock.now()
                )
            )


def test_a_change_without_an_outbox_row_shows_after_the_freshness_limit(
    ctx: Context, clock: _Clock
) -> None:
    stream = _one_lead(ctx)
    assert _counts(ctx) == {stream: 1}
    _clear_matches_elsewhere(ctx)
    clock.now += board_counts.FRESH_SECONDS - 0.1
    assert _counts(ctx) == {stream: 1}  # kept: nothing says it is old
    clock.now += 0.1  # exactly the limit: no longer fresh
    assert _counts(ctx) == {}


def test_a_newer_outbox_row_counts_again_at_once(ctx: Context, clock: _Clock) -> None:
    stream = _one_lead(ctx)
    assert _counts(ctx) == {stream: 1}
    _clear_matches_elsewhere(ctx, with_outbox_row=True)
    assert _counts(ctx) == {}


def test_a_write_committed_by_this_process_counts_again_at_once(
    ctx: Context, clock: _Clock
) -> None:
    stream = _one_lead(ctx)
    assert _counts(ctx) == {stream: 1}
    with ctx.uow() as uow:  # a write of ours without an outbox row
        uow.connection.execute(update(matches).values(cleared_at=ctx.clock.now()))
        uow.commit()
    assert _counts(ctx) == {}


def test_the_kept_count_is_not_changed_through_an_answer(ctx: Context, clock: _Clock) -> None:
    stream = _one_lead(ctx)
    _counts(ctx)[stream] = 99  # an answer counted
    _counts(ctx)[stream] = 98  # an answer kept
    assert _counts(ctx) == {stream: 1}
