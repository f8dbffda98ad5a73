from __future__ import annotations

from tests.support.api import Api


def test_a_contact_crossing_the_score_becomes_a_lead_on_the_board(api: Api) -> None:
    rules = {"field": "lead_score", "op": "gte", "value": 50}
    stream = api.marketing.post(
        "/api/v1/streams", json={"name": "Hot", "rules": rules, "team_ids": [api.team_id]}
    )
    assert stream.status_code == 201, stream.text
    assert stream.json()["rules_text"] == "Lead score is at least 50"
    stream_id = stream.json()["id"]
    assert api.marketing.post(f"/api/v1/streams/{stream_id}/activate").json()["active"]
    created = api.marketing.post("/api/v1/contacts", json={"email": "A@x.com", "lead_score": 10})
    assert created.status_code == 201
    updated = api.marketing.post("/api/v1/contacts", json={"email": "a@x.com", "lead_score": 70})
    assert updated.status_code == 200
    board = api.sales.get("/api/v1/leads").json()
    assert [lead["contact"]["email"] for lead in board["items"]] == ["a@x.com"]
    assert board["items"][0]["matches"][0]["trigger"]["fields"]
    assert api.other_sales.get("/api/v1/leads").json()["items"] == []
    lead_id = board["items"][0]["id"]
    assert api.other_sales.get(f"/api/v1/leads/{lead_id}").status_code == 404
    moved = api.sales.patch(f"/api/v1/leads/{lead_id}", json={"stage": "sql"})
    assert moved.json()["stage"] == "sql"
    bad = api.marketing.post(
        "/api/v1/streams", json={"name": "", "rules": {"field": "leadscore"}, "team_ids": []}
    )
    assert bad.status_code == 422
    assert {d["path"] for d in bad.json()["error"]["details"]} == {"name", "team_ids"}
    assert api.anonymous.get("/api/v1/leads").status_code == 401
    forbidden = api.sales.post(
        "/api/v1/streams", json={"name": "x", "rules": rules, "team_ids": [api.team_id]}
    )
    assert forbidden.status_code == 403
    assert api.anonymous.get("/healthz").json() == {"status": "ok"}
    assert "leadstreams_leads_created_total 1.0" in api.anonymous.get("/metrics").text
    big = api.marketing.post(
        "/api/v1/events/batch",
        content=b"x" * (17 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert big.status_code == 413, big.text
    assert big.json()["error"]["code"] == "too_large"
