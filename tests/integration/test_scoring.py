"""Lead scoring end to end in the services: live recompute before the streams, the bulk job,
the expiry sweep at the window's boundary, adjustments, imported scores, bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from leadstreams.clock import FixedClock
from leadstreams.errors import Conflict, InvalidInput, NotFound
from leadstreams.schemas.contacts import ContactWrite
from leadstreams.schemas.events import EventCreate
from leadstreams.schemas.scoring import ScoreAdjustmentCreate, ScoreSetCreate, ScoreSetUpdate
from leadstreams.services import contacts, jobs, score_sweep, scoring
from leadstreams.services.context import Context
from leadstreams.store import contacts as contacts_store
from leadstreams.store.tables import matches, score_history, score_sets
from tests.support import builders
from tests.support.service import START

FORM_15 = {"name": "Form", "criteria": {"event": "form_submitted", "within_days": 90},
           "points": 15}  # fmt: skip
TITLE_2 = {"name": "Title", "criteria": {"field": "title", "op": "is_set"}, "points": 2}


def _set(ctx: Context, *rules: dict[str, Any], active: bool = True, name: str = "Eng") -> int:
    data = ScoreSetCreate.model_validate({"name": name, "rules": list(rules), "active": active})
    return scoring.create_set(ctx, data=data, user_id=None).id


def _score(ctx: Context, contact_id: int) -> int:
    with ctx.uow(read_only=True) as uow:
        found = contacts_store.get(uow.connection, contact_id=contact_id)
        assert found is not None
        return found.lead_score


def _clock(ctx: Context) -> FixedClock:
    assert isinstance(ctx.clock, FixedClock)
    return ctx.clock


def _run_jobs(ctx: Context) -> int:
    ran = 0
    while jobs.run_next(ctx, worker="test"):
        ran += 1
    return ran


def test_an_event_raises_the_score_and_a_stream_on_it_makes_the_lead_at_once(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(
        ctx, {"field": "lead_score", "op": "gte", "value": 30}, team_ids=[team_id]
    )
    _set(ctx, FORM_15)
    contact_id = builders.contact(ctx, "a@example.com")
    builders.event(ctx, "a@example.com")
    assert _score(ctx, contact_id) == 15
    recorded = builders.event(ctx, "a@example.com")
    assert _score(ctx, contact_id) == 15  # min_count 1: a second form adds nothing
    assert recorded.matches == []
    _set(ctx, {**FORM_15, "name": "Form again"}, name="More")
    assert _run_jobs(ctx) == 2  # each active set created queued a recompute
    assert _score(ctx, contact_id) == 30
    with ctx.database.engine.connect() as connection:
        made = connection.execute(select(matches.c.stream_id, matches.c.trigger)).all()
    assert [(row.stream_id, row.trigger["fields"]) for row in made] == [(stream_id, ["lead_score"])]


def test_a_live_event_that_crosses_the_threshold_matches_in_its_own_transaction(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    rule = {"field": "lead_score", "op": "gte", "value": 15}
    stream_id = builders.stream(ctx, rule, team_ids=[team_id])
    _set(ctx, FORM_15)
    builders.contact(ctx, "b@example.com")
    recorded = builders.event(ctx, "b@example.com")
    assert [m.stream_id for m in recorded.matches] == [stream_id]


def test_points_expire_at_the_window_boundary_by_the_sweep(ctx: Context) -> None:
    _set(ctx, FORM_15)
    contact_id = builders.contact(ctx, "c@example.com")
    builders.event(ctx, "c@example.com", occurred_at=START - timedelta(days=89))
    assert _score(ctx, contact_id) == 15
    clock = _clock(ctx)
    clock.advance(days=1)  # exactly 90 days old: still within the window
    assert score_sweep.sweep(ctx) == 0
    assert _score(ctx, contact_id) == 15
    clock.advance(microseconds=1)
    assert score_sweep.sweep(ctx) == 1
    assert _score(ctx, contact_id) == 0
    assert score_sweep.sweep(ctx) == 0  # nothing due any more
    with ctx.database.engine.connect() as connection:
        reasons = list(connection.scalars(select(score_history.c.reason)))
    assert reasons[-1]["cause"] == "expiry" and reasons[-1]["stopped"]


CREATED_3 = {"name": "New", "criteria": {"field": "created_at", "op": "within_last_days",
                                          "value": 30}, "points": 3}  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "wait"),
    [(FORM_15, {"days": 1, "microseconds": 1}),  # in SQL (store.score_writes)
     (CREATED_3, {"days": 30, "microseconds": 1})],  # a dated field: in Python
)  # fmt: skip
def test_the_sweep_takes_every_due_contact_batch_by_batch(
    ctx: Context, rule: dict[str, Any], wait: dict[str, int]
) -> None:
    people = [builders.contact(ctx, f"sweep{n}@example.com") for n in range(5)]
    for n in range(5):
        builders.event(ctx, f"sweep{n}@example.com", occurred_at=START - timedelta(days=89))
    _set(ctx, rule)
    _run_jobs(ctx)
    assert {_score(ctx, contact_id) for contact_id in people} == {rule["points"]}
    _clock(ctx).advance(**wait)
    assert score_sweep.sweep(ctx, batch=2, sql_batch=2) == 5
    assert {_score(ctx, contact_id) for contact_id in people} == {0}
    assert score_sweep.sweep(ctx, batch=2, sql_batch=2) == 0


def test_a_field_change_rescored_and_lead_score_refused_while_a_set_is_active(
    ctx: Context,
) -> None:
    contact_id = builders.contact(ctx, "d@example.com", lead_score=40)
    _set(ctx, TITLE_2)
    _run_jobs(ctx)
    assert _score(ctx, contact_id) == 40  # the old score became an imported adjustment
    contacts.update_contact(ctx, contact_id=contact_id, data=ContactWrite(title="CTO"))
    assert _score(ctx, contact_id) == 42
    with pytest.raises(InvalidInput) as refused:
        contacts.update_contact(ctx, contact_id=contact_id, data=ContactWrite(lead_score=7))
    assert refused.value.details[0].path == "lead_score"
    assert "score-adjustments" in refused.value.details[0].message
    assert _score(ctx, contact_id) == 42


def test_an_adjustment_counts_until_it_expires(ctx: Context) -> None:
    contact_id = builders.contact(ctx, "e@example.com")
    with pytest.raises(Conflict):  # no active set: nothing to adjust
        scoring.add_adjustment(ctx, contact_id=contact_id, user_id=None,
                               data=ScoreAdjustmentCreate(points=5, reason="x"))  # fmt: skip
    _set(ctx, TITLE_2)
    data = ScoreAdjustmentCreate(points=-3, reason="spam", expires_at=START + timedelta(days=2))
    made = scoring.add_adjustment(ctx, contact_id=contact_id, data=data, user_id=None)
    assert made.lead_score == -3
    _clock(ctx).advance(days=2)
    assert score_sweep.sweep(ctx) == 1
    assert _score(ctx, contact_id) == 0
    with pytest.raises(NotFound):
        scoring.add_adjustment(ctx, contact_id=contact_id + 99, data=data, user_id=None)


def test_an_edit_and_a_deactivation_recompute_every_contact(ctx: Context) -> None:
    ids = [builders.contact(ctx, f"f{i}@example.com", title="CTO" if i % 2 else None)
           for i in range(5)]  # fmt: skip
    set_id = _set(ctx, TITLE_2)
    _run_jobs(ctx)
    assert [_score(ctx, i) for i in ids] == [0, 2, 0, 2, 0]
    update = ScoreSetUpdate.model_validate({"rules": [{**TITLE_2, "points": 5}]})
    scoring.update_set(ctx, set_id=set_id, data=update, user_id=None)
    _run_jobs(ctx)
    assert [_score(ctx, i) for i in ids] == [0, 5, 0, 5, 0]
    scoring.set_active(ctx, set_id=set_id, active=False, user_id=None)
    _run_jobs(ctx)
    assert [_score(ctx, i) for i in ids] == [0] * 5


def test_bad_score_sets_write_nothing(ctx: Context) -> None:
    _set(ctx, TITLE_2, active=False)
    bad = {"name": "Bad", "rules": [
        {"name": "a", "criteria": {"field": "nope", "op": "eq", "value": 1}, "points": 1},
        {"name": "b", "criteria": {"field": "lead_score", "op": "gte", "value": 1}, "points": 1},
    ]}  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        scoring.create_set(ctx, data=ScoreSetCreate.model_validate(bad), user_id=None)
    paths = [detail.path for detail in refused.value.details]
    assert paths[0].startswith("rules[0].criteria") and paths[1] == "rules[1].criteria"
    with pytest.raises(Conflict):
        _set(ctx, TITLE_2, name="ENG")
    with ctx.database.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(score_sets)) == 1


def test_defaults_install_once_and_preview(ctx: Context) -> None:
    made = scoring.install_defaults(ctx, user_id=None)
    assert [s.name for s in made] == ["Engagement", "Persona"]
    assert scoring.install_defaults(ctx, user_id=None) == []
    builders.contact(ctx, "g@example.com", first_name="Ann", company="Acme")
    builders.contact(ctx, "h@example.com")
    shown = scoring.preview(ctx, set_id=made[1].id)
    assert [r.contacts for r in shown.rules] == [1, 0, 0, 1, 0, 0]
    assert [(b.score, b.contacts) for b in shown.distribution] == [(0, 1), (4, 1)]
    assert made[0].rules[0].criteria_text  # read back in plain English


def test_the_live_feed_of_an_event_batch_scores_in_order(ctx: Context) -> None:
    _set(ctx, {**FORM_15, "criteria": {"event": "form_submitted", "min_count": 2}})
    contact_id = builders.contact(ctx, "i@example.com")
    from leadstreams.services import ingest

    items = [EventCreate(email="i@example.com", type="form_submitted") for _ in range(3)]
    ingest.record_many(ctx, items)
    assert _score(ctx, contact_id) == 15
    with ctx.database.engine.connect() as connection:
        values = list(connection.scalars(select(score_history.c.value)))
    assert values == [15]


def test_the_bulk_recompute_counts_an_event_on_the_window_edge_until_it_leaves(
    ctx: Context,
) -> None:
    contact_id = builders.contact(ctx, "j@example.com")
    builders.event(ctx, "j@example.com", occurred_at=START - timedelta(days=90))
    _set(ctx, FORM_15)
    assert _run_jobs(ctx) == 1
    assert _score(ctx, contact_id) == 15  # exactly 90 days old: in the window
    assert score_sweep.sweep(ctx) == 0
    _clock(ctx).advance(microseconds=1)
    assert score_sweep.sweep(ctx) == 1
    assert _score(ctx, contact_id) == 0


def test_a_batch_that_raises_a_score_then_moves_only_its_next_change_keeps_both(
    ctx: Context,
) -> None:
    from leadstreams.services import ingest
    from leadstreams.store.tables import contact_scores

    _set(ctx, FORM_15)
    contact_id = builders.contact(ctx, "k@example.com")
    older = START - timedelta(days=30)
    items = [
        EventCreate(email="k@example.com", type="form_submitted"),
        EventCreate(email="k@example.com", type="form_submitted", occurred_at=older),
    ]
    ingest.record_many(ctx, items)
    assert _score(ctx, contact_id) == 15
    with ctx.database.engine.connect() as connection:
        changes_at = connection.scalar(select(contact_scores.c.changes_at))
    assert changes_at == older + timedelta(days=90, microseconds=1)


PAGE_10 = {"name": "Page", "criteria": {"event": "page_visited", "within_days": 30},
           "points": 10}  # fmt: skip


def test_a_batch_writes_each_contacts_history_in_order_and_states_a_recompute_keeps(
    ctx: Context,
) -> None:
    """The live path's rows for a batch (written as one JSON list each) are the ones the
    bulk recompute would write: a recompute after it changes nothing."""
    from leadstreams.services import ingest
    from leadstreams.store.tables import contact_scores

    _set(ctx, FORM_15, PAGE_10)
    first, second = (builders.contact(ctx, f"{n}@example.com") for n in ("l", "m"))
    form_at, page_at = START - timedelta(days=3), START - timedelta(days=2)
    items = [
        EventCreate(email="l@example.com", type="form_submitted", occurred_at=form_at),
        EventCreate(email="m@example.com", type="page_visited", occurred_at=page_at),
        EventCreate(email="l@example.com", type="page_visited", occurred_at=page_at),
        EventCreate(email="l@example.com", type="form_submitted"),  # changes nothing
    ]
    ingest.record_many(ctx, items)
    assert (_score(ctx, first), _score(ctx, second)) == (25, 10)
    with ctx.database.engine.connect() as connection:
        rows = connection.execute(
            select(score_history.c.contact_id, score_history.c.value, score_history.c.reason)
            .order_by(score_history.c.id)
        ).all()  # fmt: skip
        states = connection.execute(select(contact_scores).order_by("contact_id")).all()
    form_id, page_id = sorted({rule for row in rows for rule in row.reason["started"]})
    assert [(r.contact_id, r.value, r.reason["started"], r.reason["cause"]) for r in rows] == [
        (first, 15, [form_id], "event"),
        (second, 10, [page_id], "event"),
        (first, 25, [page_id], "event"),
    ]
    page_leaves = page_at + timedelta(days=30, microseconds=1)
    assert [(s.contact_id, s.holding, s.changes_at) for s in states] == [
        (first, [form_id, page_id], page_leaves),
        (second, [page_id], page_leaves),
    ]
    _set(ctx, name="Empty")  # an active set changed: every contact recomputed in SQL
    _run_jobs(ctx)
    with ctx.database.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(score_history)) == 3
        assert connection.execute(select(contact_scores).order_by("contact_id")).all() == states
