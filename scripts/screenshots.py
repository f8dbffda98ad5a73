"""The README's screenshots, taken from the demo's data: `.venv/bin/python scripts/screenshots.py`.

Makes a demo database (seed 1) in a temporary folder, adds a webhook subscription whose
receiver is down (so that the Webhooks page shows a failing one), serves it with its worker,
and walks the pages with Debian's chromium at 1440 px wide (the board also at 390 px), writing
docs/screenshots/*.png. Needs `pip install -e '.[test]'` (Playwright) and `apt-get install
chromium`; never a downloaded browser.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from playwright.sync_api import Page, sync_playwright

from leadstreams.demo import accounts

ROOT = Path(__file__).parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("LEADSTREAMS_CHROMIUM", "/usr/bin/chromium")
LEADSTREAMS = str(Path(sys.executable).parent / "leadstreams")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "LEADSTREAMS_DATABASE_URL": f"sqlite:///{Path(folder) / 'demo.db'}",
            "LEADSTREAMS_WEBHOOK_ALLOW_PRIVATE": "true",  # the down receiver is on 127.0.0.1
            "LEADSTREAMS_LOG_LEVEL": "WARNING",
        }
        subprocess.run(
            [LEADSTREAMS, "demo", "--contacts", "1500", "--no-serve"],
            env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        port = _free_port()
        server = subprocess.Popen(
            [LEADSTREAMS, "serve", "--port", str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_for(url)
            _walk(url)
        finally:
            server.terminate()
            server.wait(10)


def _walk(url: str) -> None:
    admin, marketing = accounts(1)[0], accounts(1)[1]
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{url}/login")
        page.screenshot(path=OUT / "login.png")
        _log_in(page, url, admin.email, admin.password)
        _webhook_that_fails(page, url, admin.email, admin.password)
        shots = {
            "lead-board.png": "/leads",
            "streams.png": "/streams",
            "contacts.png": "/contacts",
            "reports.png": "/reports",
            "scoring.png": "/scoring",
            "teams.png": "/teams",
            "users.png": "/users",
        }
        for name, path in shots.items():
            page.goto(url + path)
            page.screenshot(path=OUT / name)
        page.goto(f"{url}/leads")
        page.locator('.lead a[href^="/leads/"]').first.click()
        page.wait_for_load_state()
        page.screenshot(path=OUT / "contact-card.png", full_page=True)
        page.goto(f"{url}/streams")
        page.get_by_role("link", name="Hot Nordic leads").first.click()
        page.screenshot(path=OUT / "rule-editor.png", full_page=True)
        _webhook_added(page, url)
        page.screenshot(path=OUT / "webhooks.png", full_page=True)
        page.goto(f"{url}/teams")
        page.get_by_role("link", name="Delivery settings").first.click()
        _weighted_rotation(page)
        page.screenshot(path=OUT / "team-delivery.png", full_page=True)
        page.goto(f"{url}/webhooks")
        page.get_by_role("link", name="Delivery log").first.click()
        page.screenshot(path=OUT / "webhook-deliveries.png", full_page=True)

        phone = browser.new_page(viewport={"width": 390, "height": 844})
        _log_in(phone, url, marketing.email, marketing.password)
        phone.goto(f"{url}/leads")
        phone.screenshot(path=OUT / "lead-board-phone.png")
        browser.close()


def _log_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/leads**")


def _webhook_that_fails(page: Page, url: str, email: str, password: str) -> None:
    """A subscription to a receiver that is down, then a few lead moves for it to fail on."""
    page.goto(f"{url}/webhooks")
    page.get_by_label("URL").fill(f"http://127.0.0.1:{_free_port()}/crm-sync")
    page.get_by_role("button", name="Add webhook").click()
    form = urlencode({"username": email, "password": password}).encode()
    with urlopen(Request(f"{url}/api/v1/auth/token", data=form)) as answer:
        token = json.load(answer)["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with urlopen(Request(f"{url}/api/v1/leads?limit=3", headers=headers)) as answer:
        leads = json.load(answer)["items"]
    for lead in leads:
        body = json.dumps({"stage": "sql"}).encode()
        urlopen(Request(f"{url}/api/v1/leads/{lead['id']}", body, headers, method="PATCH")).close()
    time.sleep(3)  # the worker tries each once


def _webhook_added(page: Page, url: str) -> None:
    """A second subscription: the page then shows its secret (once) above the failing one."""
    page.goto(f"{url}/webhooks")
    page.get_by_label("URL").fill(f"http://127.0.0.1:{_free_port()}/analytics")
    page.get_by_role("checkbox", name="lead.cleared").uncheck()
    page.get_by_role("button", name="Add webhook").click()
    page.wait_for_load_state()


def _weighted_rotation(page: Page) -> None:
    """A team's settings worth showing: weighted 3:2, a capacity, a fallback, a digest."""
    page.get_by_label("Policy").select_option("weighted")
    rows = page.locator(".members-table tbody tr")
    for n, weight in enumerate((3, 2)):  # the demo's teams have two sales members or more
        rows.nth(n).locator('input[name="in_rotation"]').check()
        rows.nth(n).locator('input[name="weight"]').fill(str(weight))
    rows.nth(0).locator('input[name="monthly_capacity"]').fill("40")
    page.get_by_label("Fallback user (when nobody is available)").select_option(index=2)
    page.get_by_label("Send", exact=True).select_option("digest")
    page.get_by_label("Digest every (minutes)").fill("30")
    page.get_by_role("button", name="Save delivery settings").click()
    page.wait_for_load_state()


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urlopen(f"{url}/healthz", timeout=5):
                return
        except OSError:  # refused, or not answering yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


if __name__ == "__main__":
    main()
