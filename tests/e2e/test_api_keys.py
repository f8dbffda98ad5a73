"""An admin makes an API key in the browser, a system sends with it, the admin revokes it."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path
from uuid import uuid4

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live


def _identify(live: Live, key: str, user: str) -> int:
    body = json.dumps({"userId": user, "traits": {"email": f"{user}@example.com"}}).encode()
    basic = base64.b64encode(f"{key}:".encode()).decode()
    request = urllib.request.Request(
        f"{live.url}/v1/identify", data=body, method="POST",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_an_admin_makes_a_key_a_system_uses_it_and_the_admin_revokes_it(
    page: Page, live: Live, screenshot_dir: Path
) -> None:
    name, user = f"Website {uuid4().hex[:6]}", f"web-{uuid4().hex[:6]}"
    page.goto(f"{live.url}/login")
    page.get_by_label("E-mail").fill("admin@example.com")
    page.get_by_label("Password").fill(live.password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("ingest").check()
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name=f"Key “{name}” created")).to_be_visible()
    key = page.locator("#new-key").inner_text()
    assert key.startswith("lsk_")
    page.screenshot(path=screenshot_dir / "api-keys.png", full_page=True)
    assert _identify(live, key, user) == 200

    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text(key[:12])
    row.get_by_role("button", name=f"Revoke {name}").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("revoked")
    assert _identify(live, key, user + "-late") == 401
