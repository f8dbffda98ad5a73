"""/api/v1/webhooks through HTTP: the secret shown once, rotation, the delivery log, and an
unknown event type answered with the valid ones."""

from __future__ import annotations

from leadstreams.services import webhook_sender
from tests.support import builders
from tests.support.api import Api

PUBLIC = "https://93.184.215.14/hooks"  # a literal public address: no DNS lookup, never sent to


def test_the_secret_is_shown_on_creation_only_and_rotates(api: Api) -> None:
    created = api.admin.post("/api/v1/webhooks", json={"url": PUBLIC, "events": ["lead.created"]})
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_") and hook["active"] is True
    listed = api.admin.get("/api/v1/webhooks").json()
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert "secret" not in api.admin.get(f"/api/v1/webhooks/{hook['id']}").json()

    rotated = api.admin.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
    assert rotated["previous_valid_until"]


def test_a_given_secret_is_kept(api: Api) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = {"url": PUBLIC, "events": ["lead.created"], "secret": secret}
    assert api.admin.post("/api/v1/webhooks", json=body).json()["secret"] == secret


def test_an_unknown_event_type_is_answered_with_the_valid_ones(api: Api) -> None:
    answer = api.admin.post("/api/v1/webhooks", json={"url": PUBLIC, "events": ["lead.won"]})
    assert answer.status_code == 422
    [detail] = answer.json()["error"]["details"]
    assert detail["path"] == "events[0]"
    for valid in ("lead.created", "lead.matched", "lead.stage_changed", "lead.assigned"):
        assert valid in detail["message"]
    assert api.admin.get("/api/v1/webhooks").json() == []


def test_a_private_address_is_refused_saying_why(api: Api) -> None:
    answer = api.admin.post(
        "/api/v1/webhooks", json={"url": "http://localhost:9000/", "events": ["lead.created"]}
    )
    assert answer.status_code == 422
    [detail] = answer.json()["error"]["details"]
    assert detail["path"] == "url" and "loopback" in detail["message"]


def test_the_delivery_log_pages_newest_first_and_send_again_is_accepted(api: Api) -> None:
    ctx = api.admin.app.state.ctx  # type: ignore[attr-defined]
    hook = api.admin.post("/api/v1/webhooks", json={"url": PUBLIC, "events": ["lead.created"]})
    hook_id = hook.json()["id"]
    builders.stream(ctx, {"all": [{"event": "form_submitted"}]}, team_ids=[api.team_id])
    for n in range(3):
        builders.event(ctx, f"p{n}@example.com", properties={"form": "Contact us"})
    webhook_sender.fan_out(ctx)  # deliveries made, none sent

    first = api.admin.get(f"/api/v1/webhooks/{hook_id}/deliveries?limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.admin.get(
        f"/api/v1/webhooks/{hook_id}/deliveries?limit=2&cursor={first['next_cursor']}"
    ).json()
    ids = [d["id"] for d in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3 and rest["next_cursor"] is None
    item = first["items"][0]
    assert item["status"] == "pending" and item["attempts"] == [] and item["type"] == "lead.created"
    assert item["webhook_id"].startswith("msg_")

    again = api.admin.post(f"/api/v1/webhooks/{hook_id}/deliveries/{item['id']}/retry")
    assert again.status_code == 202 and again.json()["webhook_id"] == item["webhook_id"]
    missing = api.admin.post(f"/api/v1/webhooks/{hook_id}/deliveries/999999/retry")
    assert missing.status_code == 404
    pending = api.admin.get(f"/api/v1/webhooks/{hook_id}/deliveries?status=delivered").json()
    assert pending["items"] == []
    assert api.admin.get(f"/api/v1/webhooks/{hook_id}").json()["pending"] == 3
