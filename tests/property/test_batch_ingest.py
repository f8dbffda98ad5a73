"""A batch of events recorded at once leaves what recording its items one by one leaves.

The batch path reads and writes set by set and keeps each contact's state in memory between
its events; recording the items one at a time reads everything back from the database. Both
must give the same outcomes, events, matches (with triggers and explanations), leads and
outbox rows, on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from leadstreams.errors import LeadstreamsError
from leadstreams.schemas.events import EventCreate
from leadstreams.services import ingest
from leadstreams.services.context import Context
from leadstreams.store.tables import contacts, events, leads, matches, outbox, streams
from tests.support import builders
from tests.support.examples import at_most
from tests.support.service import make_context, reset
from tests.support.snapshot import Rows, database_rows, restore

STREAMS: dict[str, dict[str, Any]] = {
    "contact form": builders.CONTACT_FORM,
    # Not monotone in events: a later form in the batch must not undo an earlier match.
    "browsing, no form": {
        "all": [
            {"event": "page_visited", "min_count": 2},
            {"not": {"event": "form_submitted"}},
        ]
    },
    # Reads the stage, which a lead made by an earlier event of the batch changes.
    "opened, no lead yet": {
        "all": [
            {"field": "lead_stage", "op": "eq", "value": "none"},
            {"event": "email_opened"},
        ]
    },
    "clicked, score 50": {
        "all": [builders.SCORE_AT_LEAST_50, {"event": "email_clicked", "min_count": 2}]
    },
}
KNOWN = {"a@x.com": 70, "b@x.com": 10}  # contacts that exist before the batch: their scores
EMAILS = [*KNOWN, "new1@x.com", "new2@x.com"]
UNKNOWN_ID = 999_999

items = st.lists(
    st.fixed_dictionaries(
        {
            "event_id": st.sampled_from(["e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7"]),
            "who": st.sampled_from([*EMAILS, "id:a@x.com", "id:unknown"]),
            "type": st.sampled_from(
                ["form_submitted", "page_visited", "email_opened", "email_clicked"]
            ),
            "form": st.sampled_from(["Contact us", "Newsletter"]),
        }
    ),
    max_size=12,
)


def _build(ctx: Context) -> dict[str, int]:
    reset(ctx.database.engine)
    team_id = builders.team(ctx)
    for name, rules in STREAMS.items():
        builders.stream(ctx, rules, team_ids=[team_id], name=name)
    ids = {email: builders.contact(ctx, email, lead_score=score) for email, score in KNOWN.items()}
    builders.event(ctx, "b@x.com", "page_visited", event_id="before")
    return ids


def _event(item: dict[str, Any], ids: dict[str, int]) -> EventCreate:
    who = item["who"]
    if who.startswith("id:"):
        contact = {"contact_id": ids.get(who[3:], UNKNOWN_ID)}
    else:
        contact = {"email": who}
    properties = {"form": item["form"]} if item["type"] == "form_submitted" else {}
    return EventCreate(event_id=item["event_id"], type=item["type"], properties=properties,
                       **contact)  # fmt: skip


def _outcome(outcome: ingest.Recorded | LeadstreamsError, names: dict[int, str]) -> Any:
    if isinstance(outcome, LeadstreamsError):
        return ("error", outcome.message)
    matched = sorted(names[m.stream_id] for m in outcome.matches)
    return (outcome.created, outcome.event_id, outcome.contact_id, matched)


def _state(engine: Engine) -> dict[str, Any]:
    """What the database holds, by names, e-mails and event ids rather than generated ids."""
    with engine.connect() as connection:
        email = dict(connection.execute(select(contacts.c.id, contacts.c.email)).all())
        stream = dict(connection.execute(select(streams.c.id, streams.c.name)).all())
        lead_of = {row.id: email[row.contact_id] for row in connection.execute(select(leads))}
        return {
            "contacts": sorted(email.values()),
            "events": sorted(
                (row.event_id, email[row.contact_id], row.type, str(row.properties))
                for row in connection.execute(select(events))
            ),
            "matches": sorted(
                (
                    stream[row.stream_id],
                    email[row.contact_id],
                    lead_of[row.lead_id],
                    str(row.trigger),
                    str(row.explanation),
                    row.superseded_at is None,
                )
                for row in connection.execute(select(matches))
            ),
            "leads": sorted(
                (email[row.contact_id], row.stage) for row in connection.execute(select(leads))
            ),
            "outbox": sorted(
                (row.topic, lead_of[row.lead_id], stream[row.payload["stream_id"]])
                for row in connection.execute(select(outbox).where(outbox.c.lead_id.is_not(None)))
            ),
        }


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@settings(max_examples=at_most(100))
@given(batch=items)
def test_a_batch_leaves_what_its_items_one_by_one_leave(
    request: pytest.FixtureRequest, backend: str, batch: list[dict[str, Any]]
) -> None:
    engine: Engine = request.getfixturevalue(f"{backend}_engine")
    ctx = make_context(engine, engine.url.render_as_string(hide_password=False))
    rows, ids, names = _world(ctx)

    restore(engine, rows)
    one_by_one = [ingest.record_many(ctx, [_event(item, ids)])[0] for item in batch]
    expected = ([_outcome(o, names) for o in one_by_one], _state(engine))

    restore(engine, rows)
    at_once = ingest.record_many(ctx, [_event(item, ids) for item in batch])
    assert ([_outcome(o, names) for o in at_once], _state(engine)) == expected


_worlds: dict[str, tuple[Rows, dict[str, int], dict[int, str]]] = {}


def _world(ctx: Context) -> tuple[Rows, dict[str, int], dict[int, str]]:
    """Built once per database; put back in place before each recording."""
    key = ctx.database.engine.dialect.name
    if key not in _worlds:
        ids = _build(ctx)
        with ctx.database.engine.connect() as connection:
            names = dict(connection.execute(select(streams.c.id, streams.c.name)).all())
        _worlds[key] = (database_rows(ctx.database.engine), ids, names)
    return _worlds[key]
