"""Live matching and fetch history leave the same rows for the same world.

Both make matches for contacts that match a stream (rules 3 and 4): live matching one contact
at a time in Python, fetch history set by set in SQL. For a random world (contacts with
built-in and custom values, events on and around the streams' windows, earlier leads in every
stage, open, closed or cleared, earlier matches current, cleared or superseded, some exactly
as old as a stream's requalification period) and a random order of streams, evaluating every
contact live leaves the leads, matches (with their explanations), stage changes and outbox
rows that fetch history leaves, on both databases, with the assignments (a weighted policy
whose members reach their capacity, one paused, a fallback) and the mail queue rows. The
rules read `lead_stage`, which the first stream's new leads change for the next stream.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, insert, select

from leadstreams.domain.assignment import Policy
from leadstreams.domain.notify import NotifyMode
from leadstreams.schemas.delivery import (
    AssignmentSettings,
    MemberSettings,
    NotifySettings,
    TeamDeliveryUpdate,
)
from leadstreams.schemas.fields import FieldCreate
from leadstreams.services import fetch_history, jobs, team_delivery, vocabulary
from leadstreams.services.context import Context
from leadstreams.services.matching import evaluate_contact
from leadstreams.store.tables import (
    contacts,
    events,
    lead_assignments,
    lead_stage_changes,
    leads,
    mail_queue,
    matches,
    outbox,
)
from leadstreams.store.types import to_iso_text
from tests.support import builders
from tests.support.examples import at_most
from tests.support.service import START, make_context, reset
from tests.support.snapshot import Rows, database_rows, restore

REQUALIFY_DAYS = 5
RULES: dict[str, dict[str, Any]] = {
    "contact form lately": {
        "event": "form_submitted",
        "where": [{"property": "form", "op": "eq", "value": "Contact us"}],
        "within_days": 10,
    },
    "scored, no open lead": {
        "all": [
            {"field": "lead_stage", "op": "in", "value": ["none", "won", "lost"]},
            {"field": "lead_score", "op": "gte", "value": 50},
        ]
    },
    "gold or renewing": {
        "any": [
            {"field": "tier", "op": "eq", "value": "Gold"},
            {"field": "renewal_at", "op": "within_last_days", "value": 10},
        ]
    },
    "browsing, not an mql": {
        "all": [
            {"event": "page_visited", "min_count": 2, "within_days": 7},
            {"not": {"field": "lead_stage", "op": "eq", "value": "mql"}},
        ]
    },
}
# Each rule twice: without requalification, and requalifying after REQUALIFY_DAYS.
STREAMS = [(name, days) for name in RULES for days in (None, REQUALIFY_DAYS)]
STAGES = ("mql", "sql", "won", "lost", "won", "lost")
DAY = timedelta(days=1)

# Ages in days: on and around the windows (7, 10) and the requalification period (5).
event_ages = st.sampled_from([0, 6.5, 7, 7.01, 9.99, 10, 10.01, 30])
match_ages = st.sampled_from([1, 4.99, 5, 5.01, 30])


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[int]]:
    """Contacts, and the streams to run in order; earlier matches are mostly in those streams."""
    order = draw(st.lists(st.integers(0, len(STREAMS) - 1), min_size=1, max_size=3, unique=True))
    streams = st.one_of(st.sampled_from(order), st.integers(0, len(STREAMS) - 1))
    contact = st.fixed_dictionaries(
        {
            "lead_score": st.sampled_from([0, 49, 50, 80]),
            "tier": st.sampled_from([None, "Gold", "silver"]),
            "renewal_at": st.one_of(st.none(), event_ages),
            "events": st.lists(
                st.tuples(
                    st.sampled_from(["form_submitted", "page_visited"]),
                    st.sampled_from(["Contact us", "Newsletter"]),
                    event_ages,
                ),
                max_size=4,
            ),
            # Earlier leads, oldest first: stage, cleared, and matches in streams (each with
            # its age, and whether it is current, cleared or superseded).
            "leads": st.lists(
                st.tuples(
                    st.sampled_from(STAGES),
                    st.booleans(),
                    st.lists(
                        st.tuples(
                            streams,
                            match_ages,
                            st.sampled_from(["current", "current", "cleared", "superseded"]),
                        ),
                        max_size=2,
                    ),
                ),
                max_size=2,
            ),
        }
    )
    return draw(st.lists(contact, min_size=1, max_size=5)), order


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@settings(max_examples=at_most(60))
@given(world=worlds())
def test_live_matching_leaves_the_rows_fetch_history_leaves(
    request: pytest.FixtureRequest, backend: str, world: tuple[list[dict[str, Any]], list[int]]
) -> None:
    engine: Engine = request.getfixturevalue(f"{backend}_engine")
    ctx = make_context(engine, engine.url.render_as_string(hide_password=False))
    base, stream_ids = _base(ctx)
    people, order = world
    run = [stream_ids[i] for i in order]

    restore(engine, base)
    _populate(engine, people, stream_ids)
    for stream_id in run:
        _fetch_history(ctx, stream_id)
    by_history = _rows(engine)

    restore(engine, base)
    _populate(engine, people, stream_ids)
    for stream_id in run:
        _live(ctx, stream_id, len(people))
    assert _rows(engine) == by_history


def _fetch_history(ctx: Context, stream_id: int) -> None:
    fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    assert jobs.run_next(ctx, worker="parity")


def _live(ctx: Context, stream_id: int, contact_count: int) -> None:
    """Every contact evaluated on the stream, one transaction each, as a change would."""
    for contact_id in range(1, contact_count + 1):
        with ctx.uow() as uow:
            index = ctx.live.current(uow)
            stream = index.streams[stream_id]
            evaluate_contact(
                uow, index=index, contact_id=contact_id, candidates=[stream], trigger={}
            )
            uow.commit()


_bases: dict[str, tuple[Rows, list[int]]] = {}


def _base(ctx: Context) -> tuple[Rows, list[int]]:
    """The custom fields, a team and the streams, made once per database."""
    key = ctx.database.engine.dialect.name
    if key not in _bases:
        reset(ctx.database.engine)
        vocabulary.create_field(ctx, data=FieldCreate(name="tier", label="Tier", type="enum",
                                                      values=["Gold", "silver"]))  # fmt: skip
        vocabulary.create_field(
            ctx, data=FieldCreate(name="renewal_at", label="Renewal", type="datetime")
        )
        team_id = builders.team(ctx)
        _delivery(ctx, team_id)
        ids = [
            builders.stream(
                ctx,
                RULES[name],
                team_ids=[team_id],
                name=f"{name} {days}",
                requalify_after_days=days,
            )
            for name, days in STREAMS
        ]
        _bases[key] = (database_rows(ctx.database.engine), ids)
    return _bases[key]


def _delivery(ctx: Context, team_id: int) -> None:
    """The team assigns by weight (one member with a small capacity, one paused, a fallback
    for when nobody is left) and mails its members at once."""
    people = [builders.user(ctx, f"s{n}@example.com", team_ids=[team_id]) for n in range(3)]
    members = [
        MemberSettings(user_id=people[0], weight=3, monthly_capacity=2),
        MemberSettings(user_id=people[1], weight=2, monthly_capacity=3),
        MemberSettings(user_id=people[2], weight=1, paused=True),
    ]
    settings = TeamDeliveryUpdate(
        assignment=AssignmentSettings(
            policy=Policy.WEIGHTED, members=members, fallback_user_id=people[2]
        ),
        notify=NotifySettings(mode=NotifyMode.IMMEDIATE),
    )
    team_delivery.put_delivery(ctx, team_id=team_id, data=settings)


def _ago(days: float) -> datetime:
    return START - days * DAY


def _populate(engine: Engine, people: list[dict[str, Any]], stream_ids: list[int]) -> None:
    with engine.begin() as connection:
        for n, person in enumerate(people, start=1):
            custom: dict[str, Any] = {}
            if person["tier"] is not None:
                custom["tier"] = person["tier"]
            if person["renewal_at"] is not None:
                custom["renewal_at"] = to_iso_text(_ago(person["renewal_at"]))
            connection.execute(
                insert(contacts).values(
                    id=n, email=f"c{n}@example.com", lead_score=person["lead_score"], tags=[],
                    custom=custom, created_at=_ago(40), updated_at=_ago(40),
                )
            )  # fmt: skip
            for k, (type_, form, age) in enumerate(person["events"]):
                properties = {"form": form} if type_ == "form_submitted" else {}
                connection.execute(
                    insert(events).values(
                        event_id=f"{n}-{k}", contact_id=n, type=type_, occurred_at=_ago(age),
                        received_at=_ago(age), properties=properties,
                    )
                )  # fmt: skip
            _earlier_leads(connection, n, person["leads"], stream_ids)


def _earlier_leads(
    connection: Connection, contact_id: int, drawn: list[Any], stream_ids: list[int]
) -> None:
    """The drawn leads, kept to the invariants: at most one open lead per contact, at most
    one current match per stream and contact, a cleared lead's matches all cleared."""
    has_open, current = False, set()
    for n, (stage, cleared, drawn_matches) in enumerate(drawn):
        closed = stage in ("won", "lost")
        if not closed and not cleared:
            if has_open:
                continue
            has_open = True
        created = _ago(31 - n)
        lead_id = connection.execute(
            insert(leads).values(
                contact_id=contact_id, stage=stage, hidden=False, created_at=created,
                updated_at=created, closed_at=created + DAY if closed else None,
                cleared_at=created + DAY if cleared else None,
            ).returning(leads.c.id)
        ).scalar_one()  # fmt: skip
        for stream, age, state in drawn_matches:
            state = "cleared" if cleared else state
            if state == "current" and stream in current:
                continue
            if state == "current":
                current.add(stream)
            connection.execute(
                insert(matches).values(
                    lead_id=lead_id, stream_id=stream_ids[stream], contact_id=contact_id,
                    matched_at=_ago(age), origin="live", trigger={}, explanation={},
                    cleared_at=START - DAY / 2 if state == "cleared" else None,
                    superseded_at=START - DAY / 2 if state == "superseded" else None,
                )
            )  # fmt: skip


def _rows(engine: Engine) -> dict[str, Any]:
    """Leads, matches, stage changes and outbox rows, by what they are rather than by the
    ids generated for them, without what differs by design (a match's origin and trigger)."""
    with engine.connect() as connection:
        lead_rows = connection.execute(select(leads).order_by(leads.c.id)).all()
        # A lead is known by its contact and its place among the contact's leads.
        key: dict[int, tuple[int, int]] = {}
        for row in lead_rows:
            key[row.id] = (row.contact_id, sum(1 for k in key.values() if k[0] == row.contact_id))
        return {
            "leads": sorted(
                (
                    key[r.id],
                    r.stage,
                    _at(r.created_at),
                    _at(r.closed_at),
                    _at(r.cleared_at),
                    r.assignee_id or 0,
                )
                for r in lead_rows
            ),
            "assignments": sorted(
                (key[r.lead_id], r.team_id, r.user_id or 0, r.policy, r.reason, _at(r.at))
                for r in connection.execute(select(lead_assignments))
            ),
            "mail": sorted(
                (key[r.lead_id], r.user_id, r.kind, _at(r.due_at))
                for r in connection.execute(select(mail_queue))
            ),
            "matches": sorted(
                (
                    r.stream_id,
                    r.contact_id,
                    key[r.lead_id],
                    _at(r.matched_at),
                    _at(r.superseded_at),
                    _at(r.cleared_at),
                    _text(r.explanation),
                )
                for r in connection.execute(select(matches))
            ),
            "stage changes": sorted(
                (key[r.lead_id], r.from_stage or "", r.to_stage, _at(r.at), r.user_id or 0)
                for r in connection.execute(select(lead_stage_changes))
            ),
            "outbox": sorted(  # the leads' rows: news of the streams differs by path
                (r.topic, key[r.lead_id], _text(_outbox_payload(r.payload, key)))
                for r in connection.execute(select(outbox).where(outbox.c.lead_id.is_not(None)))
            ),
        }


def _at(value: datetime | None) -> str:
    """A time that sorts, None first (rows that tie up to it must still sort)."""
    return "" if value is None else value.isoformat()


def _outbox_payload(payload: dict[str, Any], key: dict[int, tuple[int, int]]) -> dict[str, Any]:
    if "origin" not in payload:  # lead.assigned
        return payload | {"lead_id": key[payload["lead_id"]]}
    assert payload["origin"] in ("live", "history")
    return payload | {"lead_id": key[payload["lead_id"]], "origin": None}


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
