"""An edit of an active score set changes exactly the contacts it should.

For a random world (contacts with and without a title and a country, form and page events
on both sides of the windows, some with manual adjustments) and a random set of score rules
edited into another (points changed, rules added or removed), recomputing after the edit
leaves every contact with the score and the rules giving points that a recompute from
scratch with the edited set gives, on both databases; and the edit's recompute writes a
history row of a new value for exactly the contacts whose score moved.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select

from leadstreams.schemas.scoring import ScoreSetCreate, ScoreSetUpdate
from leadstreams.services import jobs, scoring
from leadstreams.services.context import Context
from leadstreams.store.tables import (
    contact_scores,
    contacts,
    events,
    score_adjustments,
    score_history,
    score_rules,
)
from tests.support.examples import at_most
from tests.support.service import START, make_context, reset

RULES: list[dict[str, Any]] = [
    {"event": "form_submitted", "within_days": 30},
    {"event": "form_submitted", "min_count": 2},
    {"field": "title", "op": "is_set"},
    {"field": "country", "op": "eq", "value": "SE"},
    {"all": [{"event": "page_visited", "within_days": 7}, {"not": {"field": "country",
                                                                   "op": "eq", "value": "DE"}}]},
]  # fmt: skip
rule_sets = st.lists(
    st.tuples(st.integers(0, len(RULES) - 1), st.sampled_from([-4, 3, 10])), max_size=4
)
people = st.lists(
    st.fixed_dictionaries(
        {
            "title": st.sampled_from([None, "CTO"]),
            "country": st.sampled_from([None, "SE", "DE"]),
            "events": st.lists(
                st.tuples(
                    st.sampled_from(["form_submitted", "page_visited"]),
                    st.sampled_from([1, 6.9, 7, 20, 29.99, 30, 45]),
                ),
                max_size=3,
            ),
            "adjustment": st.sampled_from([None, 5, -2]),
        }
    ),
    min_size=1,
    max_size=5,
)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@settings(max_examples=at_most(25))
@given(world=people, before=rule_sets, after=rule_sets)
def test_an_edit_leaves_what_a_recompute_from_scratch_leaves(
    request: pytest.FixtureRequest,
    backend: str,
    world: list[dict[str, Any]],
    before: list[tuple[int, int]],
    after: list[tuple[int, int]],
) -> None:
    engine: Engine = request.getfixturevalue(f"{backend}_engine")
    ctx = make_context(engine, engine.url.render_as_string(hide_password=False))

    _populate(ctx, world)
    set_id = _active_set(ctx, before)
    old = _scores(engine)
    history_before = _history_count(engine)
    scoring.update_set(ctx, set_id=set_id, data=ScoreSetUpdate(rules=_rules(after)), user_id=None)
    _run_jobs(ctx)
    edited = _scores(engine)
    written = _history_since(engine, history_before)

    _populate(ctx, world)
    _active_set(ctx, after)
    assert edited == _scores(engine)
    moved = {contact for contact, (score, _) in edited.items() if score != old[contact][0]}
    assert {contact for contact, value in written if value != old[contact][0]} == moved


def _rules(drawn: list[tuple[int, int]]) -> Any:
    return [{"name": f"rule {n}", "criteria": RULES[i], "points": p} for n, (i, p) in
            enumerate(drawn)]  # fmt: skip


def _active_set(ctx: Context, drawn: list[tuple[int, int]]) -> int:
    data = ScoreSetCreate.model_validate({"name": "Set", "rules": _rules(drawn), "active": True})
    set_id = scoring.create_set(ctx, data=data, user_id=None).id
    _run_jobs(ctx)
    return set_id


def _run_jobs(ctx: Context) -> None:
    while jobs.run_next(ctx, worker="edits"):
        pass


def _populate(ctx: Context, world: list[dict[str, Any]]) -> None:
    engine = ctx.database.engine
    reset(engine)
    with engine.begin() as connection:
        for n, person in enumerate(world, start=1):
            connection.execute(
                insert(contacts).values(
                    id=n, email=f"c{n}@example.com", title=person["title"],
                    country=person["country"], lead_score=0, tags=[], custom={},
                    created_at=START, updated_at=START,
                )
            )  # fmt: skip
            for k, (type_, age) in enumerate(person["events"]):
                at = START - timedelta(days=age)
                connection.execute(
                    insert(events).values(event_id=f"{n}-{k}", contact_id=n, type=type_,
                                          occurred_at=at, received_at=at, properties={})
                )  # fmt: skip
            if person["adjustment"] is not None:
                connection.execute(
                    insert(score_adjustments).values(contact_id=n, points=person["adjustment"],
                                                     reason="manual", created_at=START)
                )  # fmt: skip


def _scores(engine: Engine) -> dict[int, tuple[int, frozenset[int]]]:
    """Each contact's score and the positions of the rules giving it points."""
    with engine.connect() as connection:
        positions = dict(connection.execute(select(score_rules.c.id, score_rules.c.position)).all())
        holding = {
            row.contact_id: frozenset(positions[rule_id] for rule_id in row.holding)
            for row in connection.execute(select(contact_scores))
        }
        return {
            contact_id: (score, holding.get(contact_id, frozenset()))
            for contact_id, score in connection.execute(
                select(contacts.c.id, contacts.c.lead_score)
            )
        }


def _history_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(score_history.c.id)).all())


def _history_since(engine: Engine, count: int) -> list[tuple[int, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(score_history.c.contact_id, score_history.c.value).order_by(score_history.c.id)
        ).all()
    return [(row.contact_id, row.value) for row in rows[count:]]
