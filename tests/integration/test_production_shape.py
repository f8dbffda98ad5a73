"""The shape docs/operations.md describes, as the README starts it: two server processes
(`leadstreams serve --workers 2 --no-worker`) and a separate `leadstreams worker` on one
PostgreSQL database, under concurrent clients that share contacts and retry. Every event is
stored once, each contact has one open lead, and the worker process runs a fetch history."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, func, select

from leadstreams.store.tables import events, leads
from tests.support import builders
from tests.support.live_server import free_port
from tests.support.service import make_context, reset

pytestmark = pytest.mark.postgres
CLIENTS, EVENTS_EACH, CONTACTS = 6, 30, 8
PASSWORD = "correct horse battery"


def _command(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "leadstreams"), *args]


@pytest.fixture
def deployment(postgres_engine: Engine) -> Iterator[tuple[str, Engine]]:
    reset(postgres_engine)
    url = postgres_engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "LEADSTREAMS_DATABASE_URL": url, "LEADSTREAMS_WORKER_POLL_SECONDS": "0.1"}
    init = ["init", "--admin-email", "admin@example.com", "--admin-password", PASSWORD]
    subprocess.run(_command(*init), env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = subprocess.Popen(
        _command("serve", "--port", str(port), "--workers", "2", "--no-worker"), env=env, **quiet
    )
    worker = subprocess.Popen(_command("worker", "--name", "the-worker"), env=env, **quiet)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the servers did not answer"
            time.sleep(0.2)
        yield base, postgres_engine
    finally:
        for process in (server, worker):
            process.terminate()
            process.wait(30)


def test_two_servers_and_a_worker_keep_every_promise(deployment: tuple[str, Engine]) -> None:
    base, engine = deployment
    ctx = make_context(engine, engine.url.render_as_string(hide_password=False))
    team_id = builders.team(ctx)
    builders.stream(ctx, {"event": "form_submitted"}, team_ids=[team_id], name="Forms")
    token = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": "admin@example.com", "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def client(number: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            for i in range(EVENTS_EACH):
                event = {
                    "event_id": f"c{number}-{i}",
                    "email": f"shared{(number + i) % CONTACTS}@example.com",
                    "type": "form_submitted",
                }
                for _ in range(1 + (i % 3 == 0)):  # every third event is sent twice
                    statuses.append(http.post("/api/v1/events", json=event).status_code)
        return statuses

    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = [s for answers in pool.map(client, range(CLIENTS)) for s in answers]

    assert set(statuses) <= {200, 201} and statuses.count(201) == CLIENTS * EVENTS_EACH
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count(func.distinct(events.c.event_id))))
        rows = connection.scalar(select(func.count()).select_from(events))
        open_leads = connection.execute(
            select(leads.c.contact_id, func.count()).where(leads.c.closed_at.is_(None))
            .group_by(leads.c.contact_id)
        ).all()  # fmt: skip
    assert stored == rows == CLIENTS * EVENTS_EACH
    assert len(open_leads) == CONTACTS and all(count == 1 for _, count in open_leads)

    # The worker process runs what the servers queue.
    other = builders.stream(ctx, {"event": "form_submitted"}, team_ids=[team_id], name="Again")
    job = httpx.post(f"{base}/api/v1/streams/{other}/fetch-history", headers=headers).json()
    deadline = time.monotonic() + 60
    while (found := httpx.get(f"{base}/api/v1/jobs/{job['id']}", headers=headers).json())[
        "status"
    ] != "done":
        assert found["status"] in ("queued", "running") and time.monotonic() < deadline, found
        time.sleep(0.2)
    assert found["matches_created"] == CONTACTS
