"""The rows one new match leaves, made live or by fetch history: the lead, its first stage
change, the match's explanation (its event part too) and the outbox payload.

The live = history property test shows the two paths agree; these pin down what both write,
so that a fault shared by both (they share the match writer and the loader) shows too.

The last tests have another process write between the match writer's reads and its inserts
(a lead opened, a match made): statements run in the writer's transaction just before its
insert, so that the race happens every time, on SQLite too (the PostgreSQL race test in
`test_concurrency.py` reaches these paths only by chance).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Connection

from leadstreams.domain.matching import Origin
from leadstreams.schemas.fields import FieldCreate
from leadstreams.services import fetch_history, jobs, streams, vocabulary
from leadstreams.services.context import Context
from leadstreams.store import match_writer
from leadstreams.store.match_writer import MatchToWrite
from leadstreams.store.tables import lead_stage_changes, leads, matches, outbox
from leadstreams.store.types import to_iso_text
from tests.support import builders
from tests.support.service import START

_LEADS = outbox.c.lead_id.is_not(None)  # the leads' rows (not the streams' news)
WINDOW = 10
TWO_CONTACT_FORMS = {
    "all": [
        {**builders.CONTACT_FORM, "min_count": 2, "within_days": WINDOW},
        builders.SCORE_AT_LEAST_50,
    ]
}
CONTACT_US = {"form": "Contact us"}


def _rows(ctx: Context) -> dict[str, list[Any]]:
    with ctx.uow(read_only=True) as uow:
        run = uow.connection.execute
        return {
            "leads": [
                (r.id, r.contact_id, r.stage) for r in run(select(leads).order_by(leads.c.id))
            ],
            "stages": [
                (r.lead_id, r.from_stage, r.to_stage, r.user_id, r.at)
                for r in run(select(lead_stage_changes).order_by(lead_stage_changes.c.id))
            ],
            "matches": list(run(select(matches).order_by(matches.c.id)).mappings()),
            "outbox": [
                (r.topic, r.lead_id, r.payload)
                for r in run(select(outbox).where(_LEADS).order_by(outbox.c.id))
            ],
        }


def _forms(ctx: Context, email: str, *ages: float) -> None:
    for age in ages:
        builders.event(ctx, email, properties=CONTACT_US, occurred_at=START - timedelta(days=age))


def _event_part(explanation: dict[str, Any]) -> dict[str, Any]:
    event = explanation["all"][0]
    return {k: event[k] for k in ("held", "event", "count", "min_count", "within_days")}


def _world(ctx: Context) -> tuple[int, int, int]:
    """A stream (inactive), a contact that matches it with a form exactly at the window's
    start, and one that does not (score too low) although it sent forms in the window."""
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, TWO_CONTACT_FORMS, team_ids=[team_id], active=False)
    hot = builders.contact(ctx, "hot@x.com", lead_score=60)
    cold = builders.contact(ctx, "cold@x.com", lead_score=10)
    _forms(ctx, "hot@x.com", WINDOW, 1, WINDOW + 0.5)  # the oldest is outside the window
    _forms(ctx, "cold@x.com", 2, 1)
    return stream_id, hot, cold


def test_fetch_history_writes_one_mql_lead_its_first_stage_change_and_announces_it(
    ctx: Context,
) -> None:
    stream_id, hot, _ = _world(ctx)
    streams.set_active(ctx, stream_id=stream_id, active=True, user_id=None)
    job = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    assert jobs.run_next(ctx, worker="w") is not None

    rows = _rows(ctx)
    [(lead_id, contact_id, stage)] = rows["leads"]
    assert (contact_id, stage) == (hot, "mql")
    assert rows["stages"] == [(lead_id, None, "mql", None, START)]
    [match] = rows["matches"]
    assert (match["lead_id"], match["contact_id"], match["origin"]) == (lead_id, hot, "history")
    assert match["trigger"] == {"kind": "history", "job_id": job.id}
    # The form sent exactly WINDOW days ago counts; the one before does not.
    assert _event_part(match["explanation"]) == {
        "held": True, "event": "form_submitted", "count": 2, "min_count": 2, "within_days": 10,
    }  # fmt: skip
    payload = {"lead_id": lead_id, "stream_id": stream_id, "contact_id": hot, "origin": "history"}
    assert rows["outbox"] == [("lead.created", lead_id, payload)]


def test_a_live_match_writes_the_same_rows_with_its_origin(ctx: Context) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, TWO_CONTACT_FORMS, team_ids=[team_id])
    hot = builders.contact(ctx, "hot@x.com", lead_score=60)
    _forms(ctx, "hot@x.com", WINDOW + 0.5, WINDOW)
    assert _rows(ctx)["matches"] == []  # one form in the window so far
    _forms(ctx, "hot@x.com", 1)

    rows = _rows(ctx)
    [(lead_id, contact_id, stage)] = rows["leads"]
    assert (contact_id, stage) == (hot, "mql")
    assert rows["stages"] == [(lead_id, None, "mql", None, START)]
    [match] = rows["matches"]
    assert (match["lead_id"], match["origin"], match["trigger"]["kind"]) == (
        lead_id,
        "live",
        "event",
    )
    assert _event_part(match["explanation"])["count"] == 2
    payload = {"lead_id": lead_id, "stream_id": stream_id, "contact_id": hot, "origin": "live"}
    assert rows["outbox"] == [("lead.created", lead_id, payload)]


def test_a_second_stream_s_match_joins_the_open_lead_and_is_announced_as_matched(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    first = builders.stream(ctx, builders.CONTACT_FORM, team_ids=[team_id], name="Form")
    second = builders.stream(ctx, builders.CONTACT_FORM, team_ids=[team_id], name="Also form")
    hot = builders.contact(ctx, "hot@x.com")
    _forms(ctx, "hot@x.com", 0)

    rows = _rows(ctx)
    [(lead_id, _, _)] = rows["leads"]
    made = rows["matches"]  # in the order they were written
    assert {(m["stream_id"], m["lead_id"]) for m in made} == {(first, lead_id), (second, lead_id)}
    assert [(topic, payload["stream_id"]) for topic, _, payload in rows["outbox"]] == [
        ("lead.created", made[0]["stream_id"]),
        ("lead.matched", made[1]["stream_id"]),
    ]
    assert rows["stages"] == [(lead_id, None, "mql", None, START)]
    assert {payload["contact_id"] for _, _, payload in rows["outbox"]} == {hot}


def test_fetch_history_leaves_a_contact_whose_match_sits_on_a_closed_lead_with_one_lead(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, builders.SCORE_AT_LEAST_50, team_ids=[team_id])
    builders.contact(ctx, "won@x.com", lead_score=60)  # matched live: a lead
    [(lead_id, _, _)] = _rows(ctx)["leads"]
    with ctx.uow() as uow:
        uow.connection.execute(leads.update().values(stage="won", closed_at=START))
        uow.commit()

    fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    assert jobs.run_next(ctx, worker="w") is not None

    rows = _rows(ctx)
    assert [lead for lead, _, _ in rows["leads"]] == [lead_id]
    assert len(rows["matches"]) == 1


def test_fetch_history_explains_a_custom_datetime_field_as_live_matching_does(
    ctx: Context,
) -> None:
    vocabulary.create_field(
        ctx, data=FieldCreate(name="renewal_at", label="Renewal", type="datetime")
    )
    team_id = builders.team(ctx)
    rule = {"field": "renewal_at", "op": "within_last_days", "value": 10}
    live = builders.stream(ctx, rule, team_ids=[team_id], name="Live")
    history = builders.stream(ctx, rule, team_ids=[team_id], name="History", active=False)
    renewal = to_iso_text(START - timedelta(days=3))
    builders.contact(ctx, "renewing@x.com", fields={"renewal_at": renewal})  # matched live
    streams.set_active(ctx, stream_id=history, active=True, user_id=None)
    fetch_history.start_fetch_history(ctx, stream_id=history, user_id=None)
    assert jobs.run_next(ctx, worker="w") is not None

    explained = {m["stream_id"]: m["explanation"] for m in _rows(ctx)["matches"]}
    assert explained[history]["held"] is True
    assert explained[history] == explained[live]


@contextmanager
def _another_process_first(
    connection: Connection, table: str, write: Callable[[], None]
) -> Iterator[list[bool]]:
    """`write` runs once on `connection`, just before the first INSERT INTO `table`: another
    process's rows, made after the match writer read what it reads. Yields [True] once run."""
    done: list[bool] = []

    def before(_: Connection, __: Any, statement: str, *rest: Any) -> None:
        if done or not statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
            return
        done.append(True)  # first: `write`'s own insert comes here too
        write()

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield done
    finally:
        event.remove(connection, "before_cursor_execute", before)


def _race_world(ctx: Context) -> tuple[int, int, int, list[MatchToWrite]]:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, {"event": "page_visited"}, team_ids=[team_id])
    raced, other = builders.contact(ctx, "raced@x.com"), builders.contact(ctx, "other@x.com")
    planned = [
        MatchToWrite(contact_id, stream_id, Origin.LIVE, {"kind": "test"}, {})
        for contact_id in (raced, other)
    ]
    return stream_id, raced, other, planned


def _lead(connection: Connection, contact_id: int, **values: Any) -> int:
    row = {"stage": "sql", "hidden": False, "created_at": START, "updated_at": START} | values
    made = connection.execute(leads.insert().values(contact_id=contact_id, **row))
    return int(made.inserted_primary_key[0])


def test_a_lead_opened_after_the_writer_looked_is_joined_and_the_others_keep_theirs(
    ctx: Context,
) -> None:
    _, raced, other, planned = _race_world(ctx)
    opened: list[int] = []

    with ctx.uow() as uow:
        connection = uow.connection
        with _another_process_first(
            connection, "leads", lambda: opened.append(_lead(connection, raced))
        ) as raced_it:
            written = match_writer.write_matches(connection, planned, now=START)
        uow.commit()

    assert raced_it
    with ctx.uow(read_only=True) as uow:
        lead_rows = uow.connection.execute(select(leads.c.contact_id, leads.c.id)).all()
        match_rows = uow.connection.execute(select(matches.c.contact_id, matches.c.lead_id)).all()
    lead_of = dict(lead_rows)
    assert len(lead_rows) == 2 and lead_of[raced] == opened[0]  # no second lead for `raced`
    assert sorted(match_rows) == sorted(lead_of.items())
    assert [(m.contact_id, m.lead_id, m.lead_created) for m in written if m is not None] == [
        (raced, opened[0], False),
        (other, lead_of[other], True),
    ]


def test_a_match_that_loses_its_race_is_left_out_with_the_lead_made_for_it(
    ctx: Context,
) -> None:
    """Another process matched the contact in the stream after the writer read its current
    matches, and that lead was closed at once: the writer's lead for it, made before its
    match lost on the unique key, is taken back with its first stage change."""
    stream_id, raced, other, planned = _race_world(ctx)
    theirs: list[int] = []

    def match_and_close() -> None:
        lead_id = _lead(connection, raced, stage="lost", closed_at=START)
        row = {"lead_id": lead_id, "stream_id": stream_id, "contact_id": raced,
               "matched_at": START, "origin": "live", "trigger": {}}  # fmt: skip
        connection.execute(matches.insert().values(**row))
        theirs.append(lead_id)

    with ctx.uow() as uow:
        connection = uow.connection
        with _another_process_first(connection, "matches", match_and_close) as raced_it:
            written = match_writer.write_matches(connection, planned, now=START)
        uow.commit()

    assert raced_it
    rows = _rows(ctx)
    other_lead = [lead_id for lead_id, contact_id, _ in rows["leads"] if contact_id == other]
    assert [(lead_id, c) for lead_id, c, _ in rows["leads"]] == sorted(
        [(theirs[0], raced), (other_lead[0], other)]
    )
    assert [(lead_id, to) for lead_id, _, to, _, _ in rows["stages"]] == [(other_lead[0], "mql")]
    assert [(m["contact_id"], m["lead_id"]) for m in rows["matches"]] == [
        (raced, theirs[0]),
        (other, other_lead[0]),
    ]
    assert [lead_id for _, lead_id, _ in rows["outbox"]] == [other_lead[0]]
    assert written[0] is None
    assert written[1] is not None and (written[1].contact_id, written[1].lead_id) == (
        other,
        other_lead[0],
    )
