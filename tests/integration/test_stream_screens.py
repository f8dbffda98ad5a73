"""The stream screens' reads: each screen is one snapshot, read in one unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from leadstreams.services import fetch_history, streams, views
from leadstreams.services.context import Context
from leadstreams.store.uow import UnitOfWork
from tests.support import builders

SCORE_50 = {"all": [builders.SCORE_AT_LEAST_50]}


@contextmanager
def _units_of_work(monkeypatch: pytest.MonkeyPatch, ctx: Context) -> Iterator[list[bool]]:
    """Collects `read_only` of every unit of work `ctx` opens inside (not those of another
    context: a thread left running by an earlier test may open its own meanwhile)."""
    opened: list[bool] = []
    original = Context.uow

    def counting(self: Context, *, read_only: bool = False) -> UnitOfWork:
        if self is ctx:
            opened.append(read_only)
        return original(self, read_only=read_only)

    with monkeypatch.context() as patch:
        patch.setattr(Context, "uow", counting)
        yield opened


def test_each_stream_screen_is_read_in_one_read_only_unit_of_work(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id])
    job_id = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None).id

    for read in (
        lambda: views.stream_list(ctx),
        lambda: views.stream_summary(ctx, stream_id=stream_id),
        lambda: views.stream_editor(ctx),
        lambda: views.stream_editor(ctx, stream_id=stream_id, job_id=job_id),
    ):
        with _units_of_work(monkeypatch, ctx) as opened:
            read()
        assert opened == [True]


def test_the_editor_shows_the_log_newest_first_with_who_made_each_change(ctx: Context) -> None:
    team_id = builders.team(ctx, "Nordics")
    ann = builders.user(ctx, "ann@example.com", role="marketing")
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id], active=False)
    streams.set_active(ctx, stream_id=stream_id, active=True, user_id=ann)

    screen = views.stream_editor(ctx, stream_id=stream_id)

    assert [(line.who, line.entry.action) for line in screen.log] == [
        ("ann", "activated"),
        ("system", "created"),
    ]
    assert screen.stream is not None and screen.stream.active
    assert screen.teams == {team_id: "Nordics"} and screen.job is None
    assert "lead_score" in {field.name for field in screen.vocabulary.fields}


def test_the_editor_shows_a_job_only_on_its_own_stream(ctx: Context) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id])
    other_id = builders.stream(ctx, SCORE_50, team_ids=[team_id], name="Other")
    job_id = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None).id

    own = views.stream_editor(ctx, stream_id=stream_id, job_id=job_id)
    other = views.stream_editor(ctx, stream_id=other_id, job_id=job_id)

    assert own.job is not None and own.job.id == job_id
    assert other.job is None


def test_the_list_names_every_team_and_shows_every_stream_by_id(ctx: Context) -> None:
    nordics, dach = builders.team(ctx, "Nordics"), builders.team(ctx, "DACH")
    first = builders.stream(ctx, SCORE_50, team_ids=[dach], name="B")
    second = builders.stream(ctx, SCORE_50, team_ids=[nordics, dach], name="A")

    screen = views.stream_list(ctx)

    assert [(s.id, s.team_ids) for s in screen.streams] == [
        (first, [dach]),
        (second, sorted([nordics, dach])),
    ]
    assert screen.team_names == {nordics: "Nordics", dach: "DACH"}
