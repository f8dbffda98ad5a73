"""API keys (api.md, "Authentication"): shown once, stored hashed, scoped, revoked at once,
and their use recorded at most once a minute. Which endpoint each scope reaches is in the
role x endpoint matrix (tests/web/test_roles.py)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from leadstreams.clock import FixedClock
from leadstreams.services.api_keys import KeyPrincipals
from tests.support.api import Api
from tests.support.snapshot import database_rows

EVENT = {"email": "visitor@example.com", "type": "page_visited", "properties": {"url": "/"}}


def _make(api: Api, scopes: list[str], name: str = "Website") -> dict[str, Any]:
    made = api.admin.post("/api/v1/api-keys", json={"name": name, "scopes": scopes})
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def _client(api: Api, key: str) -> TestClient:
    client = TestClient(api.admin.app)
    client.headers["Authorization"] = f"Bearer {key}"
    return client


def _listed(api: Api) -> dict[int, dict[str, Any]]:
    return {key["id"]: key for key in api.admin.get("/api/v1/api-keys").json()}


def test_a_key_is_shown_once_in_full_then_listed_by_its_prefix(api: Api) -> None:
    made = _make(api, ["ingest", "read", "ingest"])
    assert made["key"].startswith("lsk_") and len(made["key"]) > 40
    assert made["prefix"] == made["key"][:12]
    assert made["scopes"] == ["ingest", "read"]
    listed = _listed(api)[made["id"]]
    assert "key" not in listed
    assert listed["prefix"] == made["prefix"] and listed["revoked_at"] is None
    stored = database_rows(api.admin.app.state.ctx.database.engine)["api_keys"]
    assert not any(made["key"] in str(row) for row in stored), "the key is stored in clear"


def test_an_ingest_key_puts_events_in_and_reads_nothing(api: Api) -> None:
    client = _client(api, _make(api, ["ingest"])["key"])
    assert client.post("/api/v1/events", json=EVENT).status_code == 201
    refused = client.get("/api/v1/contacts")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert "ingest" in refused.json()["error"]["message"]


def test_a_read_key_reads_and_puts_nothing_in(api: Api) -> None:
    client = _client(api, _make(api, ["read"])["key"])
    assert client.get("/api/v1/leads").status_code == 200
    assert client.post("/api/v1/events", json=EVENT).status_code == 403
    assert client.get("/api/v1/contacts").json() == []


def test_a_revoked_key_is_refused_from_the_next_request(api: Api) -> None:
    made = _make(api, ["read"])
    client = _client(api, made["key"])
    assert client.get("/api/v1/streams").status_code == 200  # now remembered by the server
    revoked = api.admin.delete(f"/api/v1/api-keys/{made['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    refused = client.get("/api/v1/streams")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"


def test_a_wrong_key_is_refused(api: Api) -> None:
    made = _make(api, ["read"])
    wrong = made["key"][:-2] + ("aa" if not made["key"].endswith("aa") else "bb")
    assert _client(api, wrong).get("/api/v1/streams").status_code == 401


def test_revoking_an_unknown_key_is_404(api: Api) -> None:
    assert api.admin.delete("/api/v1/api-keys/999999").status_code == 404


def test_a_key_needs_a_name_and_known_scopes(api: Api) -> None:
    engine = api.admin.app.state.ctx.database.engine
    before = database_rows(engine)
    for body, path in [
        ({"name": "ETL", "scopes": ["write"]}, "scopes[0]"),
        ({"name": "ETL", "scopes": []}, "scopes"),
        ({"name": " ", "scopes": ["read"]}, "name"),
    ]:
        refused = api.admin.post("/api/v1/api-keys", json=body)
        assert refused.status_code == 422, body
        assert [d["path"] for d in refused.json()["error"]["details"]] == [path]
    assert database_rows(engine) == before


class _Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_keys_use_is_written_at_most_once_a_minute(api: Api) -> None:
    app = api.admin.app
    ctx = app.state.ctx
    clock, ticks = ctx.clock, _Ticks()
    assert isinstance(clock, FixedClock)
    app.state.keys = KeyPrincipals(ctx, app.state.key_hasher, seconds=1.0, clock=ticks)
    made = _make(api, ["read"])
    client = _client(api, made["key"])
    assert _listed(api)[made["id"]]["last_used_at"] is None
    client.get("/api/v1/streams")
    first = _listed(api)[made["id"]]["last_used_at"]
    assert first is not None
    clock.advance(seconds=30)
    ticks.now += 30
    client.get("/api/v1/streams")
    client.get("/api/v1/leads")
    assert _listed(api)[made["id"]]["last_used_at"] == first
    clock.advance(seconds=31)
    ticks.now += 31
    client.get("/api/v1/streams")
    assert _listed(api)[made["id"]]["last_used_at"] > first
