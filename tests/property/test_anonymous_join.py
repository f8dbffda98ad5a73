"""An anonymous visitor's events, joined to a contact by an identify, leave what the same
events sent for that user at the identify leave (docs/sources.md, "Anonymous visitors"):
the events as they happened, and the matches, leads and outbox rows of evaluating them as
arriving then. Two ways to one result, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from leadstreams.services import sources
from leadstreams.services.batcher import EventBatcher
from leadstreams.services.context import Context
from leadstreams.store.tables import anonymous_events, events, leads, matches, outbox, streams
from tests.support import builders
from tests.support.examples import at_most
from tests.support.service import make_context, reset
from tests.support.snapshot import Rows, database_rows, restore

PRICING = {
    "event": "page_visited",
    "where": [{"property": "path", "op": "eq", "value": "/pricing"}],
}
STREAMS: dict[str, dict[str, Any]] = {
    "contact form": builders.CONTACT_FORM,
    "pricing, then the form": {"all": [PRICING, builders.CONTACT_FORM]},
    "twice on pricing, in Sweden": {
        "all": [{**PRICING, "min_count": 2}, {"field": "country", "op": "eq", "value": "SE"}]
    },
}

messages = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["page", "track"]),
            "path": st.sampled_from(["/pricing", "/blog"]),
            "event": st.sampled_from(["Form Submitted", "Demo Booked"]),
            "form": st.sampled_from(["Contact us", "Newsletter"]),
            "day": st.integers(min_value=1, max_value=28),
        }
    ),
    max_size=6,
)
traits = st.fixed_dictionaries({"email": st.just("eve@example.com")}, optional={
    "country": st.sampled_from(["SE", "NO"])
})  # fmt: skip


def _message(index: int, item: dict[str, Any], who: dict[str, str]) -> dict[str, Any]:
    base = {"type": item["kind"], "messageId": f"m{index}", **who,
            "timestamp": f"2026-02-{item['day']:02d}T12:00:00Z"}  # fmt: skip
    if item["kind"] == "page":
        return base | {"properties": {"path": item["path"]}}
    return base | {"event": item["event"], "properties": {"form": item["form"]}}


def _state(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        name = dict(connection.execute(select(streams.c.id, streams.c.name)).all())
        return {
            "events": sorted(
                (r.event_id, r.type, r.occurred_at, r.received_at, str(r.properties))
                for r in connection.execute(select(events))
            ),
            "matches": sorted(
                (name[r.stream_id], str(r.trigger), str(r.explanation), r.matched_at)
                for r in connection.execute(select(matches))
            ),
            "leads": sorted((r.stage, r.created_at) for r in connection.execute(select(leads))),
            "outbox": sorted(r.topic for r in connection.execute(select(outbox))),
            "waiting": list(connection.execute(select(anonymous_events.c.event_id))),
        }


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@settings(max_examples=at_most(40))
@given(visits=messages, identity=traits)
def test_joining_on_identify_is_arriving_at_the_identify(
    request: pytest.FixtureRequest,
    backend: str,
    visits: list[dict[str, Any]],
    identity: dict[str, str],
) -> None:
    engine: Engine = request.getfixturevalue(f"{backend}_engine")
    ctx, rows = _world(engine)
    identify = {"type": "identify", "userId": "u1", "traits": identity}
    batcher = EventBatcher(ctx)
    try:
        restore(engine, rows)
        named = [_message(i, item, {"userId": "u1"}) for i, item in enumerate(visits)]
        assert sources.record_messages(ctx, batcher, [identify, *named]) == []
        expected = _state(engine)

        restore(engine, rows)
        anonymous = [_message(i, item, {"anonymousId": "a1"}) for i, item in enumerate(visits)]
        assert sources.record_messages(ctx, batcher, anonymous) == []
        joining = identify | {"anonymousId": "a1"}
        assert sources.record_messages(ctx, batcher, [joining]) == []
        assert _state(engine) == expected
    finally:
        batcher.close()


_worlds: dict[str, tuple[Context, Rows]] = {}


def _world(engine: Engine) -> tuple[Context, Rows]:
    """The streams, made once per database (and put back in place before each run)."""
    key = engine.dialect.name
    if key not in _worlds:
        reset(engine)
        ctx = make_context(engine, engine.url.render_as_string(hide_password=False))
        team_id = builders.team(ctx)
        for name, rules in STREAMS.items():
            builders.stream(ctx, rules, team_ids=[team_id], name=name)
        _worlds[key] = (ctx, database_rows(engine))
    return _worlds[key]
