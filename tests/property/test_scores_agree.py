"""The live score (Python), the bulk recompute (SQL) and the rules' explanations agree.

For random score rules (any tree of the rule language, any points) over random contacts and
events, on both databases: the score, the rules giving points and the moment the score can
next change by time alone are the same computed live in Python as in the bulk recompute's
SQL; each rule's explanation says it holds exactly when it gives points; and no rule changes
its mind between now and that moment.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select

from leadstreams.domain.scoring import compute, started_stopped
from leadstreams.engine.score_index import LiveScoreRule, ScoreIndex
from leadstreams.rules import Explainer, parse
from leadstreams.rules.timing import TICK
from leadstreams.store import score_writes
from leadstreams.store.scores import Recompute
from leadstreams.store.tables import contact_scores, score_history
from leadstreams.store.tables import contacts as contacts_table
from tests.support.examples import at_most
from tests.support.rule_trees import RawRule, contacts, rule_trees
from tests.support.rules_world import NOW, VOCABULARY, Contact, fields_of, load

# Score rules may not read the score nor the lead stage (services.scoring.UNREADABLE); the
# world gives every contact its own e-mail.
_LEFT_OUT = ("lead_score", "lead_stage", "email")
SCORING = replace(
    VOCABULARY, fields={k: v for k, v in VOCABULARY.fields.items() if k not in _LEFT_OUT}
)
score_rules = st.lists(
    st.tuples(rule_trees(SCORING, max_depth=3), st.sampled_from([-5, 2, 15])),
    min_size=1,
    max_size=4,
)

_REQUIRED = ("created_at", "updated_at", "category", "tags")  # never missing when stored


def _storable(contact: Contact) -> Contact:
    """The contact as the contacts table can hold it (a country has two letters...)."""
    fields = {k: v for k, v in contact.fields.items() if not (k in _REQUIRED and v is None)}
    for name, value in fields.items():
        length = (
            getattr(contacts_table.c[name].type, "length", None)
            if name in contacts_table.c
            else None
        )
        if isinstance(value, str) and length is not None:
            fields[name] = value[:length]
    return Contact(fields, contact.events)


people_drawn = st.lists(contacts(SCORING).map(_storable), min_size=1, max_size=4)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@settings(max_examples=at_most(60))
@given(raw=score_rules, people=people_drawn)
def test_live_bulk_and_explanations_agree(
    request: pytest.FixtureRequest,
    backend: str,
    raw: list[tuple[RawRule, int]],
    people: list[Contact],
) -> None:
    engine: Engine = request.getfixturevalue(f"{backend}_engine")
    rules = [
        LiveScoreRule.compile(id=n, score_set_id=1, score_set="set", name=f"rule {n}",
                              points=points, rule=parse(tree, VOCABULARY))
        for n, (tree, points) in enumerate(raw, start=1)
    ]  # fmt: skip
    index = ScoreIndex(rules, any_active=True)
    load(engine, people)
    plan = Recompute([(r.id, r.rule) for r in rules], index.timed, VOCABULARY)
    with engine.connect() as connection:
        rows = {row.contact_id: row for row in plan.rows(connection, low=0, high=None, now=NOW)}
    for number, person in enumerate(people, start=1):
        fields = fields_of(person)
        live = index.score(fields, person.events, [], NOW)
        row = rows[number]
        moment = index.timed.next_change(row.earliest, row.dated, NOW)
        bulk = compute(
            holding=row.holding, points=index.points, adjustments=[], rules_change_at=moment,
            now=NOW,
        )  # fmt: skip
        assert bulk == live
        for rule in rules:
            explained = Explainer(rule.rule, VOCABULARY)(fields, person.events, NOW)
            assert explained["held"] is (rule.id in live.holding)
        if live.changes_at is not None:
            before = live.changes_at - TICK  # the last moment before it: nothing changed yet
            held = {r.id for r in rules if r.predicate(fields, person.events, before)}
            assert held == live.holding


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@settings(max_examples=at_most(40))
@given(raw=score_rules, people=people_drawn, kept=st.integers(0, 4))
def test_the_recompute_written_in_sql_agrees_with_the_live_score(
    request: pytest.FixtureRequest,
    backend: str,
    raw: list[tuple[RawRule, int]],
    people: list[Contact],
    kept: int,
) -> None:
    """The set-based recompute (`store.score_writes`) leaves each contact with the live
    score, rules and next change, and its history row names the rules that started and
    stopped giving points since a first recompute with only the first `kept` rules."""
    engine: Engine = request.getfixturevalue(f"{backend}_engine")
    rules = [
        LiveScoreRule.compile(id=n, score_set_id=1, score_set="set", name=f"rule {n}",
                              points=points, rule=parse(tree, VOCABULARY))
        for n, (tree, points) in enumerate(raw, start=1)
    ]  # fmt: skip
    index = ScoreIndex(rules, any_active=True)
    with engine.begin() as connection:
        connection.execute(delete(score_history))
        connection.execute(delete(contact_scores))
    load(engine, people)
    first = ScoreIndex(rules[:kept], any_active=True)
    for scoring in (first, index):
        plan = Recompute([(r.id, r.rule) for r in scoring.rules], scoring.timed, VOCABULARY)
        if not score_writes.supported(plan):
            return  # dated fields: the Python path, which the test above covers
        set_based = score_writes.SetRecompute(plan, scoring.points, dialect=engine.dialect.name)
        half = len(people) // 2  # two chunks: (0, half] and the rest
        with engine.begin() as connection:
            read = [
                set_based.range(connection, low=low, high=high, now=NOW,
                                reason={"cause": "recompute", "job_id": 7})[0]
                for low, high in ((0, half), (half, None))
            ]  # fmt: skip
            assert read == [half, len(people) - half]
    with engine.connect() as connection:
        read = select(contacts_table.c.id, contacts_table.c.lead_score)
        scores = dict(connection.execute(read).all())
        states = {row.contact_id: row for row in connection.execute(select(contact_scores))}
        history = connection.execute(select(score_history).order_by(score_history.c.id)).all()
    for number, person in enumerate(people, start=1):
        fields = fields_of(person)
        live = index.score(fields, person.events, [], NOW)
        before = first.score(fields, person.events, [], NOW)
        assert scores[number] == live.value
        state = states.get(number)
        if state is None:  # nothing to keep: no points, no moment
            assert (live.holding, live.changes_at, live.value) == (frozenset(), None, 0)
        else:
            assert (frozenset(state.holding), state.changes_at) == (live.holding,
                                                                    live.changes_at)  # fmt: skip
            assert state.holding == sorted(state.holding)
        rows = [row for row in history if row.contact_id == number]
        moved = [before.value != 0 or before.holding, live != before and (
            live.value != before.value or live.holding != before.holding)]  # fmt: skip
        assert len(rows) == sum(bool(m) for m in moved)
        if moved[1]:
            started, stopped = started_stopped(before.holding, live.holding)
            assert rows[-1].reason == {"cause": "recompute", "job_id": 7, "started": started,
                                       "stopped": stopped}  # fmt: skip
            assert rows[-1].value == live.value
