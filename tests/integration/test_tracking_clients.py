"""The tracking clients users run (Segment's `segment-analytics-python`, RudderStack's
`rudder-sdk-python`) sending to a live server on each database: identify -> contact, page
and track -> events, a form -> a lead, an anonymous visitor joining on identify, gzip
bodies, and a flush retried after a 503 that changes nothing (api.md, "Sources")."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from rudderstack.analytics import Client as RudderStackClient
from segment.analytics import Client as SegmentClient
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadstreams.clock import SystemClock
from leadstreams.config import Settings
from leadstreams.domain.roles import Role
from leadstreams.main import create_app
from leadstreams.schemas.api_keys import ApiKeyCreate
from leadstreams.services import api_keys, contacts
from leadstreams.services.api_keys import KeyHasher
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.store import state
from leadstreams.store.database import Database
from leadstreams.store.tables import leads as leads_table
from tests.support import builders
from tests.support.service import reset
from tests.support.snapshot import Rows, database_rows

SECRET = "s" * 40
PRICING_THEN_FORM = {
    "all": [
        {"event": "page_visited", "where": [{"property": "path", "op": "eq", "value": "/pricing"}]},
        builders.CONTACT_FORM,
    ]
}
CLIENTS: dict[str, Any] = {"segment": SegmentClient, "rudderstack": RudderStackClient}
ADMIN = Principal(id=0, email="", name="test", role=Role.ADMIN, team_ids=())


class FailOnce:
    """Answers the next /v1/batch with 503 *after* the app recorded it: the worst case of
    a lost answer, which the client must be able to retry without changing anything."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.armed = False
        self.failed = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (self.armed and scope["type"] == "http" and scope["path"] == "/v1/batch"):
            await self.app(scope, receive, send)
            return
        self.armed = False

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.failed += 1
                headers = [(b"content-type", b"application/json")]
                await send({"type": "http.response.start", "status": 503, "headers": headers})
                await send({"type": "http.response.body", "body": b'{"error": {}}'})

        await self.app(scope, receive, swallow)


@dataclass
class Live:
    url: str
    ctx: Context
    key: str
    team_id: int
    gate: FailOnce

    def client(self, kind: str = "segment", **options: Any) -> Any:
        """A tracking client sending here with the key; its upload errors in `.errors`."""
        errors: list[Any] = []
        made = CLIENTS[kind](
            self.key, host=self.url, max_retries=3, upload_interval=0.05,
            on_error=lambda error, batch: errors.append(error), **options,
        )  # fmt: skip
        made.errors = errors
        return made


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[Live]:
    """One live server per database; the tables are emptied before each test."""
    reset(engine)
    url = engine.url.render_as_string(hide_password=False)
    ctx = Context(Settings(database_url=url, secret_key=SECRET), Database(engine), SystemClock())
    gate = FailOnce(create_app(ctx=ctx))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(gate, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield Live(f"http://127.0.0.1:{port}", ctx, "", 0, gate)
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def live(server: Live) -> Live:
    engine = server.ctx.database.engine
    reset(engine)
    with server.ctx.uow() as uow:
        state.ensure_secret_key(uow.connection)
        uow.commit()
    data = ApiKeyCreate.model_validate({"name": "Website", "scopes": ["ingest"]})
    made = api_keys.create_key(server.ctx, hasher=KeyHasher(SECRET), data=data, created_by=None)
    server.key, server.team_id = made.key, builders.team(server.ctx)
    server.ctx.user_changes.record()  # the server forgets keys of the previous test
    return server


def _contact(live: Live, external_id: str) -> Any:
    found = [c for c in contacts.search_contacts(live.ctx, q=None, limit=100, after_id=0)
             if c.external_id == external_id]  # fmt: skip
    assert len(found) == 1, found
    return found[0]


def _events(live: Live, contact_id: int) -> list[Any]:
    timeline = contacts.timeline(live.ctx, who=ADMIN, contact_id=contact_id, limit=100,
                                 cursor=None)  # fmt: skip
    return list(reversed(timeline.items))


def _rows(live: Live) -> Rows:
    rows = database_rows(live.ctx.database.engine)
    rows.pop("api_keys")  # when the key was last used
    return rows


@pytest.mark.parametrize(
    ("kind", "gzip"),
    [("segment", False), ("segment", True), ("rudderstack", True)],
    ids=["segment", "segment-gzip", "rudderstack-gzip"],
)
def test_a_tracking_client_identifies_tracks_and_makes_a_lead(
    live: Live, kind: str, gzip: bool
) -> None:
    builders.stream(live.ctx, builders.CONTACT_FORM, team_ids=[live.team_id], name="Contact")
    client = live.client(kind, gzip=gzip)
    client.identify("u1", {"email": "ann@example.com", "firstName": "Ann", "company": "Acme"})
    client.page("u1", name="Pricing", properties={"path": "/pricing", "title": "Pricing"})
    client.track("u1", "Newsletter Signed Up", {"list": "weekly"})
    client.track("u1", "Form Submitted", {"form": "Contact us"})
    client.flush()
    assert client.errors == []
    contact = _contact(live, "u1")
    assert (contact.email, contact.first_name, contact.company) == (
        "ann@example.com", "Ann", "Acme",
    )  # fmt: skip
    events = _events(live, contact.id)
    assert [e.type for e in events] == ["page_visited", "newsletter_signed_up", "form_submitted"]
    assert events[0].properties == {"path": "/pricing", "title": "Pricing", "name": "Pricing"}
    assert _leads(live) == [contact.id]


def _leads(live: Live) -> list[int]:
    """The contacts with a lead."""
    with live.ctx.database.engine.connect() as connection:
        return [row.contact_id for row in connection.execute(leads_table.select())]


def test_an_anonymous_visitor_joins_on_identify_and_becomes_a_lead(live: Live) -> None:
    builders.stream(live.ctx, PRICING_THEN_FORM, team_ids=[live.team_id], name="Pricing, form")
    client = live.client()
    client.page(anonymous_id="a1", properties={"path": "/pricing"})
    client.track(anonymous_id="a1", event="Form Submitted", properties={"form": "Contact us"})
    client.flush()
    assert _leads(live) == []
    client.identify("u7", {"email": "eve@example.com"}, anonymous_id="a1")
    client.flush()
    contact = _contact(live, "u7")
    assert [e.type for e in _events(live, contact.id)] == ["page_visited", "form_submitted"]
    assert _leads(live) == [contact.id]


def test_a_flush_retried_after_a_503_changes_nothing(live: Live) -> None:
    builders.stream(live.ctx, builders.CONTACT_FORM, team_ids=[live.team_id], name="Contact")
    live.gate.armed = True  # the first upload is recorded, then answered 503
    client = live.client(gzip=True)

    def send() -> None:
        client.identify("u1", {"email": "ann@example.com"}, message_id="i1")
        client.track("u1", "Form Submitted", {"form": "Contact us"}, message_id="t1")
        client.flush()

    send()
    assert live.gate.failed == 1, "the server did not answer 503"
    assert client.errors == []  # the client retried
    contact = _contact(live, "u1")
    assert [e.event_id for e in _events(live, contact.id)] == ["t1"]
    assert _leads(live) == [contact.id]
    after_retry = _rows(live)
    send()  # and the same messages once more
    assert _rows(live) == after_retry
