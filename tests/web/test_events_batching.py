"""POST /api/v1/events under concurrency: events of concurrent requests share a transaction
(services/batcher.py), and each request still gets its own answer, as if it were alone.

A gate holds the first batch until the other requests are waiting behind it, so that those
are recorded together, whatever the speed of the machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from leadstreams.services import ingest
from leadstreams.services.batcher import EventBatcher
from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import Api
from tests.support.batching import PATIENCE, HeldRecorder

ANY_FORM = {"all": [{"event": "form_submitted"}]}


@pytest.fixture
def gate(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldRecorder]:
    gate = HeldRecorder()
    gate.batcher = api.admin.app.state.events  # type: ignore[attr-defined]
    monkeypatch.setattr(ingest, "record_many", gate)
    yield gate
    gate.release.set()


def together(
    gate: HeldRecorder,
    first: Callable[[], httpx.Response],
    rest: list[Callable[[], httpx.Response]],
) -> tuple[httpx.Response, list[httpx.Response]]:
    """`first` alone in the first batch, the others all in the second."""
    with ThreadPoolExecutor(len(rest) + 1) as pool:
        head = pool.submit(first)
        assert gate.entered.wait(PATIENCE)
        tail = [pool.submit(call) for call in rest]
        gate.wait_until_waiting(len(rest))
        gate.release.set()
        answers = head.result(PATIENCE), [t.result(PATIENCE) for t in tail]
    assert gate.sizes[:2] == [1, len(rest)]
    return answers


def post(client: TestClient, event: dict[str, Any]) -> Callable[[], httpx.Response]:
    return lambda: client.post("/api/v1/events", json=event)


def test_concurrent_events_are_recorded_together_and_each_gets_its_own_answer(
    api: Api, ctx: Context, gate: HeldRecorder
) -> None:
    stream_id = builders.stream(ctx, ANY_FORM, team_ids=[api.team_id])
    known = {i: builders.contact(ctx, f"known{i}@example.com") for i in range(4)}
    events: list[dict[str, Any]] = []
    for i in range(12):
        event: dict[str, Any] = {
            "event_id": f"e{i}",
            "type": ("form_submitted", "page_visited")[i % 2],
        }
        if i < 4:
            event["contact_id"] = known[i]
        else:
            event["email"] = f"new{i}@example.com"
        events.append(event)

    head, tail = together(
        gate, post(api.marketing, events[0]), [post(api.marketing, e) for e in events[1:]]
    )

    for event, answer in zip(events, [head, *tail], strict=True):
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["event_id"] == event["event_id"]
        if "contact_id" in event:
            assert body["contact_id"] == event["contact_id"]
        else:
            contact = api.marketing.get(f"/api/v1/contacts/{body['contact_id']}").json()
            assert contact["email"] == event["email"]
        if event["type"] == "form_submitted":
            [match] = body["matches"]
            assert match["stream_id"] == stream_id
            lead = api.admin.get(f"/api/v1/leads/{match['lead_id']}")
            assert lead.status_code == 200
            assert lead.json()["contact"]["id"] == body["contact_id"]
        else:
            assert body["matches"] == []
        timeline = api.marketing.get(f"/api/v1/contacts/{body['contact_id']}/events").json()
        assert [e["event_id"] for e in timeline["items"]] == [event["event_id"]]
    assert len({answer.json()["id"] for answer in [head, *tail]}) == len(events)


def test_a_bad_event_among_good_ones_gets_its_error_and_the_others_are_stored(
    api: Api, ctx: Context, gate: HeldRecorder
) -> None:
    good = [{"email": f"good{i}@example.com", "type": "page_visited"} for i in range(5)]
    bad = {"contact_id": 999999, "type": "page_visited"}
    calls = [post(api.marketing, e) for e in good[1:3]] + [post(api.marketing, bad)]
    calls += [post(api.marketing, e) for e in good[3:]]

    head, tail = together(gate, post(api.marketing, good[0]), calls)

    refused = tail[2]
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"
    assert [d["path"] for d in refused.json()["error"]["details"]] == ["contact_id"]
    for answer in [head, *tail[:2], *tail[3:]]:
        assert answer.status_code == 201, answer.text
        stored = api.marketing.get(f"/api/v1/contacts/{answer.json()['contact_id']}/events")
        assert len(stored.json()["items"]) == 1


def test_a_retry_answers_200_with_the_same_event_alone_and_in_one_batch(
    api: Api, ctx: Context, gate: HeldRecorder
) -> None:
    builders.stream(ctx, ANY_FORM, team_ids=[api.team_id])
    event = {"event_id": "form-1", "email": "ann@example.com", "type": "form_submitted"}
    twice = {"event_id": "twice", "email": "bob@example.com", "type": "page_visited"}

    head, tail = together(gate, post(api.marketing, event), [post(api.marketing, twice)] * 2)
    again = api.marketing.post("/api/v1/events", json=event)

    assert head.status_code == 201
    assert len(head.json()["matches"]) == 1
    assert again.status_code == 200
    assert again.json() == head.json() | {"matches": []}
    assert sorted(answer.status_code for answer in tail) == [200, 201]
    assert tail[0].json()["id"] == tail[1].json()["id"]
    timeline = api.marketing.get(f"/api/v1/contacts/{tail[0].json()['contact_id']}/events")
    assert [e["event_id"] for e in timeline.json()["items"]] == ["twice"]


def test_an_event_that_fails_unexpectedly_fails_its_request_only(
    api: Api, ctx: Context, gate: HeldRecorder
) -> None:
    """Its batch is recorded again without it: the events of the other requests are kept."""
    app = api.admin.app
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = api.marketing.headers["Authorization"]
    gate.poison = "p2@example.com"
    events = [{"email": f"p{i}@example.com", "type": "page_visited"} for i in range(4)]

    head, tail = together(gate, post(client, events[0]), [post(client, e) for e in events[1:]])
    after = client.post("/api/v1/events", json={"email": "later@example.com", "type": "x_y"})

    assert head.status_code == 201
    assert [answer.status_code for answer in tail] == [201, 500, 201]
    assert tail[1].json()["error"]["code"] == "internal_error"
    assert after.status_code == 201
    for event in events:
        found = api.marketing.get("/api/v1/contacts", params={"q": event["email"]}).json()
        assert len(found) == (event != events[2])


@pytest.mark.parametrize(
    ("content", "headers", "status", "path"),
    [
        (b'{"email": "a@example.com", "type": ', {}, 422, "body"),
        (b'{"email": "a@example.com", "contact_id": 1, "type": "x"}', {}, 422, "body"),
        (b'{"email": "a@example.com", "type": "x", "extra": 1}', {}, 422, "extra"),
        (b"[]", {}, 422, "body"),
        (
            b'{"email": "a@example.com", "type": "x"}',
            {"Authorization": "Bearer nonsense"},
            401,
            None,
        ),
    ],
)
def test_bad_single_events_get_the_routes_errors(
    api: Api, content: bytes, headers: dict[str, str], status: int, path: str | None
) -> None:
    api.marketing.get("/api/v1/me")  # the token's user is remembered
    sent = {"Content-Type": "application/json", **headers}
    answer = api.marketing.post("/api/v1/events", content=content, headers=sent)
    assert answer.status_code == status, answer.text
    if path is not None:
        assert answer.json()["error"]["code"] == "invalid_input"
        assert path in [d["path"] for d in answer.json()["error"]["details"]]


def test_a_role_that_may_not_ingest_is_refused_also_when_remembered(api: Api) -> None:
    api.sales.get("/api/v1/me")
    refused = api.sales.post("/api/v1/events", json={"email": "a@example.com", "type": "x"})
    assert refused.status_code == 403


def test_the_batcher_stops_with_the_app(api: Api) -> None:
    app = api.admin.app
    batcher: EventBatcher = app.state.events  # type: ignore[attr-defined]
    with TestClient(app) as client:
        client.headers["Authorization"] = api.marketing.headers["Authorization"]
        answer = client.post("/api/v1/events", json={"email": "a@example.com", "type": "x"})
        assert answer.status_code == 201
        assert batcher.running
    assert not batcher.running


# Disabling or another role ends the user's tokens: the next request must log in again.
@pytest.mark.parametrize(("change", "status"), [({"active": False}, 401), ({"role": "sales"}, 401)])
def test_a_user_disabled_or_demoted_is_refused_at_once(
    api: Api, change: dict[str, Any], status: int
) -> None:
    me = api.marketing.get("/api/v1/me").json()
    first = api.marketing.post("/api/v1/events", json={"email": "a@example.com", "type": "x"})
    assert first.status_code == 201
    assert api.admin.patch(f"/api/v1/users/{me['id']}", json=change).status_code == 200

    refused = api.marketing.post("/api/v1/events", json={"email": "b@example.com", "type": "x"})

    assert refused.status_code == status
    assert api.admin.get("/api/v1/contacts", params={"q": "b@example.com"}).json() == []


_POISON_DDL = {
    "sqlite": [
        "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.event_id = 'poison' "
        "BEGIN SELECT RAISE(ABORT, 'this row is poisoned'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.event_id = 'poison' THEN RAISE EXCEPTION 'this row is poisoned'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison()",
    ],
}
_CURE_DDL = {
    "sqlite": ["DROP TRIGGER poison"],
    "postgresql": ["DROP TRIGGER poison ON events", "DROP FUNCTION poison()"],
}


@pytest.fixture
def poisoned(ctx: Context) -> Iterator[None]:
    """The database itself refuses the event with event_id 'poison' (a real fault inside the
    shared transaction, as PostgreSQL's refusal of a text was)."""
    engine = ctx.database.engine
    with engine.begin() as connection:
        for statement in _POISON_DDL[engine.dialect.name]:
            connection.exec_driver_sql(statement)
    yield
    with engine.begin() as connection:
        for statement in _CURE_DDL[engine.dialect.name]:
            connection.exec_driver_sql(statement)


def test_a_batch_with_an_item_the_database_refuses_keeps_every_other_item(
    api: Api, poisoned: None
) -> None:
    events = [
        {"event_id": "poison" if i == 37 else f"e{i}", "email": f"p{i % 7}@example.com",
         "type": "page_visited"}
        for i in range(100)
    ]  # fmt: skip
    answer = api.marketing.post("/api/v1/events/batch", json={"events": events})

    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["error" if i == 37 else "created" for i in range(100)]
    assert results[37]["message"] == ingest.NOT_STORED
    stored = {r["event_id"] for r in results if r["status"] == "created"}
    assert stored == {f"e{i}" for i in range(100)} - {"e37"}
    timelines = [
        api.marketing.get(f"/api/v1/contacts/{contact_id}/events?limit=200").json()["items"]
        for contact_id in {r["contact_id"] for r in results if r["status"] == "created"}
    ]
    assert sorted(e["event_id"] for items in timelines for e in items) == sorted(stored)


def test_concurrent_requests_sharing_a_batch_with_a_refused_event_are_all_answered(
    api: Api, gate: HeldRecorder, poisoned: None
) -> None:
    client = TestClient(api.admin.app, raise_server_exceptions=False)
    client.headers["Authorization"] = api.marketing.headers["Authorization"]
    events = [
        {"event_id": "poison" if i == 5 else f"e{i}", "email": f"p{i % 3}@example.com",
         "type": "page_visited"}
        for i in range(12)
    ]  # fmt: skip

    head, tail = together(gate, post(client, events[0]), [post(client, e) for e in events[1:]])

    statuses = [answer.status_code for answer in [head, *tail]]
    assert statuses == [500 if i == 5 else 201 for i in range(12)]
    assert tail[4].json()["error"]["code"] == "internal_error"
    ids = [answer.json()["event_id"] for answer in [head, *tail] if answer.status_code == 201]
    assert ids == [f"e{i}" for i in range(12) if i != 5]
