"""PostgreSQL restarted under load (`pg_ctlcluster ... restart`): while it is away, clients get
503 with Retry-After (never 500), and every event acknowledged before, during or after is
there afterwards, once.

The restart is of a cluster of its own (made here, on a free port, and dropped after), so the
rest of the suite keeps its connections. It needs root and Debian's postgresql-common, as CI
has."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest
from sqlalchemy import func, select

from leadstreams.store.engine import make_engine
from leadstreams.store.migrate import upgrade
from leadstreams.store.tables import events
from tests.support.api import make_api
from tests.support.live_server import free_port, serving
from tests.support.service import make_context

CLUSTER = "leadstreams_restart"
CLIENTS = 3
ENOUGH_BEFORE = 30  # events acknowledged before the restart
ENOUGH_AFTER = 30  # and after it


def _version() -> str | None:
    found = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    return found[-1] if found else None


pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("pg_createcluster") is None or _version() is None,
    reason="needs root and Debian's pg_createcluster",
)


def _cluster(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=120)


@pytest.fixture
def own_cluster() -> Iterator[str]:
    version, port = str(_version()), free_port()
    subprocess.run(["pg_dropcluster", "--stop", version, CLUSTER], capture_output=True)
    _cluster("pg_createcluster", version, CLUSTER, "-p", str(port), "--start", "--",
             "--auth-local=trust", "--auth-host=trust")  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(["pg_dropcluster", "--stop", version, CLUSTER], capture_output=True)


def test_a_restart_under_load_answers_503_and_loses_no_acknowledged_event(
    own_cluster: str,
) -> None:
    engine = make_engine(own_cluster)
    upgrade(engine)
    ctx = make_context(engine, own_cluster)
    api = make_api(ctx)
    headers = {"Authorization": api.marketing.headers["Authorization"]}
    acknowledged: list[str] = []
    answers: list[int] = []
    restarted = threading.Event()
    stop = threading.Event()

    def client(number: int, url: str) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            sent = 0
            while not stop.is_set():
                event = {"event_id": f"c{number}-{sent}", "type": "page_visited",
                         "email": f"visitor{sent % 5}@example.com"}  # fmt: skip
                while True:  # the same event until it is acknowledged, as a client retries
                    try:
                        answer = http.post("/api/v1/events", json=event)
                    except httpx.TransportError:
                        answers.append(0)
                        time.sleep(0.1)
                        continue
                    answers.append(answer.status_code)
                    if answer.status_code == 503:
                        assert answer.headers["retry-after"] == "5"
                        assert answer.json()["error"]["code"] == "unavailable"
                        time.sleep(0.1)  # (a real client waits Retry-After)
                        continue
                    break
                if answer.status_code in (200, 201):
                    acknowledged.append(event["event_id"])
                sent += 1

    with serving(api.marketing.app) as url, ThreadPoolExecutor(CLIENTS) as pool:
        running = [pool.submit(client, number, url) for number in range(CLIENTS)]
        try:
            _until(lambda: len(acknowledged) >= ENOUGH_BEFORE)
            _cluster("pg_ctlcluster", "--skip-systemctl-redirect", str(_version()), CLUSTER,
                     "restart")  # fmt: skip
            restarted.set()
            after = len(acknowledged)
            _until(lambda: len(acknowledged) >= after + ENOUGH_AFTER)
        finally:
            stop.set()
        for future in running:
            future.result(60)

    assert set(answers) <= {0, 200, 201, 503}, sorted(set(answers))
    with engine.connect() as connection:
        stored = list(connection.scalars(select(events.c.event_id)))
        rows = connection.scalar(select(func.count()).select_from(events))
    assert rows == len(set(stored))  # each once
    assert set(acknowledged) <= set(stored)
    engine.dispose()
    ctx.database.dispose()


def _until(condition: object, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the clients made no progress"
        time.sleep(0.05)
