"""The Segment tracking API (api.md, "Sources") through HTTP: auth, limits, errors as the
clients expect them, the mapping to contacts and events, retries and anonymous visitors.
The real clients drive it in tests/integration/test_tracking_clients.py."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadstreams.clock import FixedClock
from leadstreams.services import sources
from leadstreams.services.context import Context
from leadstreams.store import anonymous as anonymous_store
from tests.support import builders
from tests.support.api import Api, with_key
from tests.support.snapshot import database_rows

PRICING_THEN_FORM = {
    "all": [
        {"event": "page_visited", "where": [{"property": "path", "op": "eq", "value": "/pricing"}]},
        builders.CONTACT_FORM,
    ]
}


def _key(client: TestClient) -> str:
    return str(client.headers["Authorization"]).removeprefix("Bearer ")


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def _send(api: Api, path: str, body: Any, **headers: str) -> Any:
    client = TestClient(api.admin.app)
    return client.post(path, json=body, headers=_basic(_key(api.ingest)) | headers)


def _contacts(api: Api) -> dict[str, dict[str, Any]]:
    return {c["external_id"] or c["email"]: c for c in api.admin.get("/api/v1/contacts").json()}


def _events(api: Api, contact_id: int) -> list[dict[str, Any]]:
    items = api.admin.get(f"/api/v1/contacts/{contact_id}/events").json()["items"]
    return list(reversed(items))  # oldest first


def _track(event: str, user: str = "u1", **extra: Any) -> dict[str, Any]:
    return {"type": "track", "userId": user, "event": event, **extra}


def test_identify_upserts_the_contact_with_its_traits(api: Api) -> None:
    traits = {
        "email": "Ann@Example.com", "firstName": "Ann", "lastName": "Lind",
        "company": {"name": "Acme"}, "country": "se", "plan": "pro", "title": "CTO",
    }  # fmt: skip
    answer = _send(api, "/v1/identify", {"userId": "u1", "traits": traits})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"success": True, "errors": []}
    contact = _contacts(api)["u1"]
    assert contact["email"] == "ann@example.com"
    assert (contact["first_name"], contact["last_name"]) == ("Ann", "Lind")
    assert (contact["company"], contact["country"], contact["title"]) == ("Acme", "SE", "CTO")
    again = _send(api, "/v1/identify", {"userId": "u1", "traits": {"name": "Ann Berg"}})
    assert again.status_code == 200
    assert len(_contacts(api)) == 1  # the same contact, by userId
    assert _contacts(api)["u1"]["email"] == "ann@example.com"  # absent traits stay


def test_identify_fills_declared_custom_fields_by_name(api: Api) -> None:
    made = api.admin.post(
        "/api/v1/fields", json={"name": "plan", "label": "Plan", "type": "string"}
    )
    assert made.status_code == 201
    _send(api, "/v1/identify", {"userId": "u1", "traits": {"plan": "pro", "shoe": 42}})
    assert _contacts(api)["u1"]["fields"] == {"plan": "pro"}


def test_track_and_page_record_events_with_their_times_and_properties(api: Api) -> None:
    sent = [
        _track("Form Submitted", properties={"form": "Contact us"}, messageId="m1",
               timestamp="2026-02-27T10:00:00+01:00"),
        _track("Email Link Clicked", messageId="m2", originalTimestamp="2026-02-28T08:00:00Z"),
        {"type": "page", "userId": "u1", "name": "Pricing", "messageId": "m3",
         "properties": {"path": "/pricing", "url": "https://example.com/pricing", "x": 1},
         "context": {"page": {"referrer": "https://search.example"}}},
        _track("Trial Started", messageId="m4"),
    ]  # fmt: skip
    answer = _send(api, "/v1/batch", {"batch": sent})
    assert answer.json() == {"success": True, "errors": []}
    events = _events(api, _contacts(api)["u1"]["id"])
    assert [(e["event_id"], e["type"]) for e in events] == [
        ("m1", "form_submitted"), ("m2", "email_clicked"), ("m3", "page_visited"),
        ("m4", "trial_started"),
    ]  # fmt: skip
    assert events[0]["occurred_at"].startswith("2026-02-27T09:00:00")
    assert events[1]["occurred_at"].startswith("2026-02-28T08:00:00")
    assert events[0]["properties"] == {"form": "Contact us"}
    assert events[2]["properties"] == {
        "path": "/pricing", "url": "https://example.com/pricing",
        "referrer": "https://search.example", "name": "Pricing",
    }  # fmt: skip
    assert "trial_started" in api.admin.get("/api/v1/fields").text  # usable in rules now


def test_a_retried_batch_changes_nothing(api: Api) -> None:
    body = {"batch": [_track("Form Submitted", messageId="m1"), _track("Demo", messageId="m2")]}
    assert _send(api, "/v1/batch", body).status_code == 200
    engine = api.admin.app.state.ctx.database.engine
    before = database_rows(engine)
    assert _send(api, "/v1/batch", body).json() == {"success": True, "errors": []}
    after = database_rows(engine)
    before.pop("api_keys"), after.pop("api_keys")  # when the key was last used
    assert after == before


def test_a_bad_message_is_reported_and_the_good_ones_kept(api: Api) -> None:
    body = {"batch": [
        _track("Form Submitted", messageId="good-1"),
        {"type": "track", "userId": "u1", "event": "!!!"},
        {"type": "screen", "userId": "u1"},
        {"type": "track", "event": "Nobody"},
        _track("Demo Booked", messageId="good-2", properties={"bad": "a\u0000b"}),
        {"type": "identify", "userId": "u2", "traits": {"email": "not an address"}},
        _track("Demo Booked", messageId="good-3"),
    ]}  # fmt: skip
    answer = _send(api, "/v1/batch", body)
    assert answer.status_code == 200
    assert [e["index"] for e in answer.json()["errors"]] == [1, 2, 3, 4, 5]
    assert "email" in answer.json()["errors"][4]["reason"]
    kept = [e["event_id"] for e in _events(api, _contacts(api)["u1"]["id"])]
    assert kept == ["good-1", "good-3"]
    assert "u2" not in _contacts(api)


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"batch": {"type": "track"}}', b'{"sentAt": "x"}']
)
def test_a_body_that_is_not_a_batch_is_400(api: Api, body: bytes) -> None:
    client = TestClient(api.admin.app)
    answer = client.post("/v1/batch", content=body, headers=_basic(_key(api.ingest)))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "bad_request"


def test_a_single_bad_message_is_400_and_records_nothing(api: Api) -> None:
    answer = _send(api, "/v1/track", {"userId": "u1"})
    assert answer.status_code == 400
    assert "event" in answer.json()["error"]["message"]
    assert _contacts(api) == {}


def test_the_write_key_may_be_in_the_body(api: Api) -> None:
    client = TestClient(api.admin.app)
    body = {"batch": [_track("Demo")], "writeKey": _key(api.ingest)}
    assert client.post("/v1/batch", json=body).status_code == 200
    assert "u1" in _contacts(api)


def test_a_missing_wrong_or_revoked_key_is_401_and_a_read_key_403(api: Api) -> None:
    client = TestClient(api.admin.app)
    body = {"batch": [_track("Demo")]}
    assert client.post("/v1/batch", json=body).status_code == 401
    wrong = client.post("/v1/batch", json=body, headers=_basic("lsk_wrong"))
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthenticated"
    read = client.post("/v1/batch", json=body, headers=_basic(_key(api.read)))
    assert read.status_code == 403
    key = _key(with_key(api.admin.app, api.admin.app.state.ctx, "ingest"))
    assert client.post("/v1/batch", json=body, headers=_basic(key)).status_code == 200
    key_id = api.admin.get("/api/v1/api-keys").json()[-1]["id"]
    assert api.admin.delete(f"/api/v1/api-keys/{key_id}").status_code == 200
    assert client.post("/v1/batch", json=body, headers=_basic(key)).status_code == 401
    assert list(_contacts(api)) == ["u1"]


def test_over_the_limits_is_413(api: Api) -> None:
    client = TestClient(api.admin.app)
    headers = _basic(_key(api.ingest))
    big = {"type": "track", "userId": "u1", "event": "Demo", "properties": {"x": "y" * 33_000}}
    assert client.post("/v1/track", json=big, headers=headers).status_code == 413
    many = {"batch": [_track("Demo", properties={"x": "y" * 20_000}) for _ in range(30)]}
    assert client.post("/v1/batch", json=many, headers=headers).status_code == 413
    # inside a batch, a message over 32 KB is reported and the others kept
    mixed = {"batch": [big, _track("Demo", messageId="small")]}
    answer = client.post("/v1/batch", json=mixed, headers=headers)
    assert answer.status_code == 200 and [e["index"] for e in answer.json()["errors"]] == [0]
    bomb = gzip.compress(json.dumps({"batch": [], "pad": " " * 600_000}).encode())
    assert len(bomb) < 10_000
    zipped = headers | {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    answer = client.post("/v1/batch", content=bomb, headers=zipped)
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"


def test_a_gzip_body_is_read(api: Api) -> None:
    client = TestClient(api.admin.app)
    body = gzip.compress(json.dumps({"batch": [_track("Demo", messageId="z1")]}).encode())
    headers = _basic(_key(api.ingest)) | {"Content-Encoding": "gzip"}
    assert client.post("/v1/batch", content=body, headers=headers).status_code == 200
    assert [e["event_id"] for e in _events(api, _contacts(api)["u1"]["id"])] == ["z1"]
    broken = client.post("/v1/batch", content=b"not gzip", headers=headers)
    assert broken.status_code == 400


def test_an_anonymous_visitor_joins_on_identify_and_becomes_a_lead_then(
    ctx: Context, api: Api
) -> None:
    builders.stream(ctx, PRICING_THEN_FORM, team_ids=[api.team_id], name="Pricing then form")
    visit = {"type": "page", "anonymousId": "a1", "messageId": "v1",
             "properties": {"path": "/pricing"}, "timestamp": "2026-02-28T09:00:00Z"}  # fmt: skip
    form = {"type": "track", "anonymousId": "a1", "event": "Form Submitted", "messageId": "f1",
            "properties": {"form": "Contact us"}}  # fmt: skip
    assert _send(api, "/v1/batch", {"batch": [visit, form]}).json()["errors"] == []
    assert _contacts(api) == {}  # kept aside, nobody's yet
    with ctx.uow(read_only=True) as uow:
        assert anonymous_store.pending(uow.connection, anonymous_id="a1") == ["v1", "f1"]
    assert api.admin.get("/api/v1/leads").json()["items"] == []
    identify = {"type": "identify", "userId": "u9", "anonymousId": "a1",
                "traits": {"email": "eve@example.com"}}  # fmt: skip
    assert _send(api, "/v1/identify", identify).status_code == 200
    contact = _contacts(api)["u9"]
    events = _events(api, contact["id"])
    assert [e["event_id"] for e in events] == ["v1", "f1"]
    assert events[0]["occurred_at"].startswith("2026-02-28T09:00:00")  # as it happened
    [lead] = api.admin.get("/api/v1/leads").json()["items"]
    assert lead["contact"]["id"] == contact["id"]
    assert lead["matches"][0]["trigger"]["event_id"] == "f1"
    later = {"type": "track", "anonymousId": "a1", "event": "Demo", "messageId": "d1"}
    assert _send(api, "/v1/track", later).status_code == 200  # now goes to the contact
    assert [e["event_id"] for e in _events(api, contact["id"])] == ["v1", "f1", "d1"]
    with ctx.uow(read_only=True) as uow:
        assert anonymous_store.pending(uow.connection, anonymous_id="a1") == []


def test_anonymous_events_are_forgotten_after_thirty_days(ctx: Context, api: Api) -> None:
    visit = {"type": "page", "anonymousId": "a1", "properties": {"path": "/"}}
    assert _send(api, "/v1/page", visit).status_code == 200
    assert sources.forget_old_visitors(ctx) == (0, 0)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(days=30, seconds=1)
    assert sources.forget_old_visitors(ctx) == (1, 1)
    with ctx.uow(read_only=True) as uow:
        assert anonymous_store.pending(uow.connection, anonymous_id="a1") == []


def test_ids_the_databases_cannot_store_are_that_messages_error(api: Api) -> None:
    body = {"batch": [
        {"type": "identify", "userId": "u1", "anonymousId": "a\u0000b"},
        {"type": "page", "anonymousId": "a\ud800"},
        _track("Demo", messageId="ok"),
    ]}  # fmt: skip
    client = TestClient(api.admin.app)  # escaped in the JSON text, as clients send them
    answer = client.post("/v1/batch", content=json.dumps(body), headers=_basic(_key(api.ingest)))
    assert answer.status_code == 200
    assert [e["index"] for e in answer.json()["errors"]] == [0, 1]
    assert [e["event_id"] for e in _events(api, _contacts(api)["u1"]["id"])] == ["ok"]


def test_an_event_named_by_external_id_finds_or_creates_its_contact(api: Api) -> None:
    made = api.ingest.post("/api/v1/events", json={"external_id": "crm-7", "type": "demo_booked"})
    assert made.status_code == 201, made.text
    again = api.ingest.post("/api/v1/events", json={"external_id": "crm-7", "type": "demo_booked"})
    assert again.json()["contact_id"] == made.json()["contact_id"]
    assert _contacts(api)["crm-7"]["id"] == made.json()["contact_id"]
    both = {"external_id": "crm-7", "email": "a@example.com", "type": "demo_booked"}
    refused = api.ingest.post("/api/v1/events", json=both)
    assert refused.status_code == 422
    assert "external_id" in refused.json()["error"]["details"][0]["message"]
