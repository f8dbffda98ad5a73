"""A database that cannot be reached (down, restarting) answers 503 with Retry-After in the
error envelope, not 500: nothing was written, and the same request will do a moment later."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from leadstreams.clock import SystemClock
from leadstreams.config import Settings
from leadstreams.domain.roles import Role
from leadstreams.main import create_app
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.store.database import Database

# Nothing listens on port 1; a directory is no SQLite database file.
DOWN = ["postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "sqlite:////proc/no/such.db"]


@pytest.mark.parametrize("url", DOWN, ids=["postgresql", "sqlite"])
def test_a_database_out_of_reach_is_503_with_retry_after(url: str) -> None:
    settings = Settings(database_url=url, secret_key="x" * 32)
    ctx = Context(settings=settings, database=Database.at(url), clock=SystemClock())
    app = create_app(ctx=ctx)
    client = TestClient(app, raise_server_exceptions=False)
    someone = Principal(id=1, email="a@example.com", name="A", role=Role.ADMIN, team_ids=())
    client.headers["Authorization"] = f"Bearer {app.state.tokens.issue(someone)}"

    for answer in (
        client.post("/api/v1/events", json={"email": "a@example.com", "type": "page_visited"}),
        client.get("/api/v1/leads"),
        client.get("/healthz"),
    ):
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "5"
        assert answer.json()["error"]["code"] == "unavailable"
