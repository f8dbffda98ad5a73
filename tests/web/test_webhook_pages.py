"""The Webhooks page through a browser-like client: the secret shown once, pause, rotate,
delete, the delivery log with "Send again", failing subscriptions first, escaped output."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from leadstreams.main import create_app
from leadstreams.services import webhooks
from leadstreams.services.context import Context
from leadstreams.services.webhook_sender import send_due
from tests.support import builders
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login
from tests.support.receiver import Receiver
from tests.web.test_admin_pages import _error_next_to, _logged_in, _post

PUBLIC = "https://93.184.215.14/hooks"  # a literal public address: no DNS lookup, never sent to


def test_an_admin_adds_a_webhook_and_sees_its_secret_once(ctx: Context, api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    status, page = _post(admin, "/webhooks", {"url": PUBLIC, "events": ["lead.created"]})
    assert status == 201
    [hook] = webhooks.list_subscriptions(ctx)
    secret = page.split('id="secret-value">')[1].split("<")[0]
    assert secret.startswith("whsec_") and "shown <strong>once</strong>" in page
    assert secret not in admin.get("/webhooks").text  # not shown again

    status, page = _post(admin, f"/webhooks/{hook.id}/rotate", {})
    rotated = page.split('id="secret-value">')[1].split("<")[0]
    assert status == 200 and rotated.startswith("whsec_") and rotated != secret
    assert "previous secret also signs until" in page

    assert _post(admin, f"/webhooks/{hook.id}/pause", {})[0] == 303
    assert not webhooks.get_subscription(ctx, subscription_id=hook.id).active
    assert "paused</span>" in admin.get("/webhooks").text
    assert _post(admin, f"/webhooks/{hook.id}/resume", {})[0] == 303
    assert webhooks.get_subscription(ctx, subscription_id=hook.id).active
    assert _post(admin, f"/webhooks/{hook.id}/delete", {})[0] == 303
    assert webhooks.list_subscriptions(ctx) == []


def test_a_private_url_is_refused_next_to_its_field_and_nothing_is_added(
    ctx: Context, api: Api
) -> None:
    admin = _logged_in(api, "admin@example.com")
    url = "http://127.0.0.1/<script>"
    status, page = _post(admin, "/webhooks", {"url": url, "events": ["lead.created"]})
    assert status == 422 and "loopback" in _error_next_to(page, "new-hook-url")
    assert "<script>" not in page and "&lt;script&gt;" in page  # the URL typed, escaped
    status, page = _post(admin, "/webhooks", {"url": PUBLIC, "events": []})
    assert status == 422 and _error_next_to(page, "new-hook-events")
    assert webhooks.list_subscriptions(ctx) == []


def test_the_delivery_log_shows_attempts_and_sends_again(ctx: Context, api: Api) -> None:
    hooks = replace(ctx, settings=ctx.settings.model_copy(update={"webhook_allow_private": True}))
    receiver = Receiver()
    try:
        browser = TestClient(create_app(ctx=hooks), follow_redirects=False)
        login = post_login(browser, {"email": "admin@example.com", "password": PASSWORD})
        assert login.status_code == 303
        good = _post(browser, "/webhooks", {"url": receiver.url, "events": ["lead.created"]})
        bad = _post(browser, "/webhooks", {"url": receiver.url + "?b", "events": ["lead.created"]})
        assert good[0] == bad[0] == 201
        good_id, bad_id = (h.id for h in webhooks.list_subscriptions(hooks))
        builders.stream(hooks, {"all": [{"event": "form_submitted"}]}, team_ids=[api.team_id])
        receiver.answer_next(200)
        receiver.answer_next(400)  # one of the two fails at once, for good
        builders.event(hooks, "p@example.com", properties={"form": "Contact us"})
        send_due(hooks)
        failing = next(h for h in webhooks.list_subscriptions(hooks) if h.failing)
        listing = browser.get("/webhooks").text
        assert listing.index(f'id="hook-{failing.id}"') < listing.index(
            f'id="hook-{({good_id, bad_id} - {failing.id}).pop()}"'
        )  # failing first
        assert "failing</span>" in listing

        log = browser.get(f"/webhooks/{failing.id}").text
        assert "<strong>400</strong>" in log and "failed</span>" in log and "ok</pre>" in log
        [delivery] = webhooks.list_deliveries(hooks, subscription_id=failing.id).items
        answer = _post(browser, f"/webhooks/{failing.id}/deliveries/{delivery.id}/retry", {})
        assert answer[0] == 303
        send_due(hooks)
        [again] = webhooks.list_deliveries(hooks, subscription_id=failing.id).items
        assert again.status == "delivered" and [a.status_code for a in again.attempts] == [400, 200]
    finally:
        receiver.stop()


def test_other_roles_do_not_get_the_webhooks_page(api: Api) -> None:
    for email in ("marketing@example.com", "sales@example.com"):
        browser = _logged_in(api, email)
        assert browser.get("/webhooks").status_code == 403
        assert "/webhooks" not in browser.get("/leads").text
    assert 'href="/webhooks"' in _logged_in(api, "admin@example.com").get("/leads").text
