"""End-to-end: Debian's chromium driven by Playwright, against a live server on a free port.

One browser for the whole session, a fresh context (cookies, storage) and page per test; one
server per session on a temporary SQLite database, with the job worker.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from leadstreams.bootstrap import bootstrap, init_database
from leadstreams.config import Settings
from leadstreams.main import create_app
from leadstreams.services.context import Context
from leadstreams.worker import in_background
from tests.support import builders
from tests.support.api import PASSWORD

CHROMIUM = os.environ.get("LEADSTREAMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip

if not shutil.which(CHROMIUM):
    pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, never a downloaded browser."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    refused: list[str] = []  # what the content security policy blocked: a page needs it
    page.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None)
    yield page
    context.close()
    assert not refused, refused


@dataclass
class Live:
    url: str
    ctx: Context
    team_id: int  # "Nordics": sales@example.com is a member
    other_team_id: int  # "DACH": other@example.com is a member
    password: str = PASSWORD


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _seed(ctx: Context) -> tuple[int, int]:
    team_id = builders.team(ctx, "Nordics")
    other_team_id = builders.team(ctx, "DACH")
    builders.user(ctx, "admin@example.com", role="admin")
    builders.user(ctx, "marketing@example.com", role="marketing")
    builders.user(ctx, "sales@example.com", role="sales", team_ids=[team_id])
    builders.user(ctx, "other@example.com", role="sales", team_ids=[other_team_id])
    return team_id, other_team_id


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = tmp_path_factory.mktemp("e2e") / "leadstreams.db"
    settings = Settings(
        database_url=f"sqlite:///{path}", secret_key="e2e-" + "x" * 40, worker_poll_seconds=0.2,
        webhook_allow_private=True,  # the webhook receivers listen on 127.0.0.1
        feed_seconds=30,
    )  # fmt: skip
    ctx = bootstrap(settings)
    init_database(ctx)
    team_id, other_team_id = _seed(ctx)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(ctx=ctx), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    with in_background(ctx, name="e2e-worker"):
        yield Live(f"http://127.0.0.1:{port}", ctx, team_id, other_team_id)
        server.should_exit = True
    thread.join(10)


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """The folder LEADSTREAMS_SCREENSHOTS names (to look at every page a test walked, e.g.
    the layout at 390, 1024 and 1440 px), else a temporary one. The README's pictures come
    from the demo's data instead (scripts/screenshots.py)."""
    folder = os.environ.get("LEADSTREAMS_SCREENSHOTS")
    if not folder:
        return tmp_path
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)
