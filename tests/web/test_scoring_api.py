"""Lead scoring through the API: the defaults installed and activated, a contact's score
rising after a form, a stream on `lead_score` making the lead, and bad input refused with
the error envelope, nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from leadstreams.services.context import Context
from leadstreams.worker import run_pending_jobs
from tests.support import builders
from tests.support.api import Api
from tests.support.snapshot import database_rows

TITLE = {"name": "Title", "criteria": {"field": "title", "op": "is_set"}, "points": 2}


def _ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def test_defaults_a_form_and_a_lead_score_stream(api: Api, ctx: Context) -> None:
    client = api.marketing
    installed = _ok(client.post("/api/v1/score-sets/install-defaults"), 201)
    engagement = next(s for s in installed if s["name"] == "Engagement")
    assert [r["points"] for r in engagement["rules"]] == [15, 10, 5, 5]
    rule = {"field": "lead_score", "op": "gte", "value": 25}
    stream_id = builders.stream(ctx, rule, team_ids=[api.team_id], name="Scored")
    contact = _ok(client.post("/api/v1/contacts", json={"email": "p@example.com"}), 201)
    activated = _ok(client.post(f"/api/v1/score-sets/{engagement['id']}/activate"))
    assert activated["recompute"]["status"] == "queued"
    assert run_pending_jobs(ctx) == 1
    job = _ok(client.get(f"/api/v1/score-sets/{engagement['id']}"))["recompute"]
    assert (job["status"], job["scanned"]) == ("done", 1)
    assert _ok(client.get(f"/api/v1/jobs/{job['id']}"))["kind"] == "score_recompute"
    path = f"/api/v1/contacts/{contact['id']}/score"
    assert _ok(client.get(path))["lead_score"] == 0
    event = {"email": "p@example.com", "type": "form_submitted"}
    assert _ok(client.post("/api/v1/events", json=event), 201)["matches"] == []
    score = _ok(client.get(path))
    assert score["lead_score"] == 15
    assert [(r["rule"], r["points"]) for r in score["rules"]] == [("Submitted any form", 15)]
    assert score["rules"][0]["expires_at"].startswith("2026-05-30T09:00:00.000001")
    assert score["history"][-1]["value"] == 15
    visit = {"email": "p@example.com", "type": "page_visited"}
    made = _ok(client.post("/api/v1/events", json=visit), 201)["matches"]
    assert [m["stream_id"] for m in made] == [stream_id]  # 25: the lead at once
    refused = client.patch(f"/api/v1/contacts/{contact['id']}", json={"lead_score": 99})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["path"] == "lead_score"
    adjusted = client.post(
        f"/api/v1/contacts/{contact['id']}/score-adjustments",
        json={"points": -5, "reason": "competitor"},
    )
    assert _ok(adjusted, 201)["lead_score"] == 20
    preview = _ok(client.get(f"/api/v1/score-sets/{engagement['id']}/preview"))
    assert [r["contacts"] for r in preview["rules"]] == [1, 1, 0, 0]
    assert preview["distribution"] == [{"score": 25, "contacts": 1}]


BAD: list[tuple[str, str, Any, set[str]]] = [
    ("POST", "/score-sets", {"name": "X", "rules": [{**TITLE, "points": 0}]}, {"rules[0].points"}),
    ("POST", "/score-sets", {"name": "X", "rules": [{**TITLE, "points": 2.5}]},
     {"rules[0].points"}),
    ("POST", "/score-sets", {"name": "X", "rules": [{**TITLE, "points": "5"}]},
     {"rules[0].points"}),
    ("POST", "/score-sets", {"name": "X", "rules": [
        {**TITLE, "criteria": {"field": "titel", "op": "is_set"}},
        {**TITLE, "criteria": {"event": "form_submitted", "within_days": 0}},
    ]}, {"rules[0].criteria.field", "rules[1].criteria.within_days"}),
    ("POST", "/score-sets", {"name": "X", "rules": [
        {**TITLE, "criteria": {"field": "lead_score", "op": "gte", "value": 1}}]},
     {"rules[0].criteria"}),
    ("PATCH", "/score-sets/{set}", {"rules": [{**TITLE, "points": 0}]}, {"rules[0].points"}),
    ("POST", "/contacts/{contact}/score-adjustments", {"points": 0, "reason": "x"}, {"points"}),
    ("POST", "/contacts/{contact}/score-adjustments", {"points": 3, "reason": ""}, {"reason"}),
    ("POST", "/contacts/{contact}/score-adjustments", {"points": 3}, {"reason"}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "paths"), BAD)
def test_bad_input_is_refused_with_its_paths_and_nothing_written(
    api: Api, ctx: Context, method: str, path: str, body: Any, paths: set[str]
) -> None:
    made = _ok(api.admin.post("/api/v1/score-sets", json={"name": "Fit", "rules": [TITLE]}), 201)
    contact = builders.contact(ctx, "q@example.com")
    before = database_rows(ctx.database.engine)
    filled = path.format(set=made["id"], contact=contact)
    answer = api.admin.request(method, f"/api/v1{filled}", json=body)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_input"
    assert {detail["path"] for detail in error["details"]} == paths
    assert database_rows(ctx.database.engine) == before


def test_a_taken_name_an_unknown_contact_and_no_active_set_are_refused(
    api: Api, ctx: Context
) -> None:
    _ok(api.admin.post("/api/v1/score-sets", json={"name": "Fit", "rules": [TITLE]}), 201)
    contact = builders.contact(ctx, "r@example.com")
    before = database_rows(ctx.database.engine)
    taken = api.admin.post("/api/v1/score-sets", json={"name": "fit"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "conflict"
    adjustment = {"points": 3, "reason": "x"}
    unknown = api.admin.post("/api/v1/contacts/999999/score-adjustments", json=adjustment)
    assert unknown.status_code == 404
    inactive = api.admin.post(f"/api/v1/contacts/{contact}/score-adjustments", json=adjustment)
    assert inactive.status_code == 409
    assert database_rows(ctx.database.engine) == before
