"""An API client per role, against the real app on a real database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from leadstreams.main import create_app
from leadstreams.schemas.api_keys import ApiKeyCreate
from leadstreams.services import api_keys
from leadstreams.services.context import Context
from leadstreams.store import state
from tests.support import builders

PASSWORD = "correct horse"


@dataclass
class Api:
    """Clients logged in as each role, plus ids of what they stand in."""

    anonymous: TestClient
    admin: TestClient
    marketing: TestClient
    sales: TestClient  # member of team_id
    other_sales: TestClient  # member of other_team_id only
    ingest: TestClient  # an API key with the `ingest` scope
    read: TestClient  # an API key with the `read` scope
    team_id: int
    other_team_id: int
    sales_id: int

    def as_role(self, role: str) -> TestClient:
        client: TestClient = getattr(self, role)
        return client


def login(app: Any, email: str) -> TestClient:
    client = TestClient(app)
    answer = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


def with_key(app: Any, ctx: Context, scope: str) -> TestClient:
    """A client sending a new API key of `scope` as its bearer token."""
    data = ApiKeyCreate.model_validate({"name": f"{scope} key", "scopes": [scope]})
    made = api_keys.create_key(ctx, hasher=app.state.key_hasher, data=data, created_by=None)
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {made.key}"
    return client


def make_api(ctx: Context) -> Api:
    with ctx.uow() as uow:
        state.ensure_secret_key(uow.connection)
        uow.commit()
    app = create_app(ctx=ctx)
    team_id = builders.team(ctx, "Nordics")
    other_team_id = builders.team(ctx, "DACH")
    builders.user(ctx, "admin@example.com", role="admin")
    builders.user(ctx, "marketing@example.com", role="marketing")
    sales_id = builders.user(ctx, "sales@example.com", role="sales", team_ids=[team_id])
    builders.user(ctx, "other@example.com", role="sales", team_ids=[other_team_id])
    return Api(
        anonymous=TestClient(app),
        admin=login(app, "admin@example.com"),
        marketing=login(app, "marketing@example.com"),
        sales=login(app, "sales@example.com"),
        other_sales=login(app, "other@example.com"),
        ingest=with_key(app, ctx, "ingest"),
        read=with_key(app, ctx, "read"),
        team_id=team_id,
        other_team_id=other_team_id,
        sales_id=sales_id,
    )
