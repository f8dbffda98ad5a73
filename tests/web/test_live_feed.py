from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadstreams.api import sse
from leadstreams.errors import Unauthenticated
from leadstreams.services import auth
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import Api


def _read(client: TestClient, last_event_id: str | None = None) -> list[dict[str, Any]]:
    """Every event of one (short) stream: the app ends it after `feed_seconds`."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    with client.stream("GET", "/api/v1/events/stream", headers=headers) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        body = "".join(answer.iter_text())
    events = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append(
                {"id": fields["id"], "event": fields["event"], **json.loads(fields["data"])}
            )
    return events


def _two_leads(ctx: Context, api: Api) -> None:
    rules = {"field": "lead_score", "op": "gte", "value": 50}
    builders.stream(ctx, rules, team_ids=[api.team_id], name="Nordics hot")
    builders.stream(ctx, {"field": "city", "op": "eq", "value": "Berlin"},
                    team_ids=[api.other_team_id], name="Berlin")  # fmt: skip
    builders.contact(ctx, "nordic@example.com", lead_score=70)
    builders.contact(ctx, "berlin@example.com", city="Berlin")


def test_the_feed_carries_only_the_lead_changes_the_user_may_see(ctx: Context, api: Api) -> None:
    ctx.settings.feed_seconds = 0.6
    _two_leads(ctx, api)
    mine = _read(api.sales, last_event_id="0")
    assert [(e["event"], e["team_ids"]) for e in mine] == [("lead.created", [api.team_id])]
    theirs = _read(api.other_sales, last_event_id="0")
    assert [(e["event"], e["team_ids"]) for e in theirs] == [("lead.created", [api.other_team_id])]
    assert len(_read(api.admin, last_event_id="0")) == 2


def test_the_feed_resumes_after_the_last_event_id(ctx: Context, api: Api) -> None:
    ctx.settings.feed_seconds = 0.6
    _two_leads(ctx, api)
    first, second = _read(api.admin, last_event_id="0")
    assert _read(api.admin, last_event_id=first["id"]) == [second]
    assert _read(api.admin) == []  # a new reader starts with what happens from now on


def test_the_feed_needs_a_token(api: Api) -> None:
    assert api.anonymous.get("/api/v1/events/stream").status_code == 401


def test_an_odd_last_event_id_starts_from_now(ctx: Context, api: Api) -> None:
    ctx.settings.feed_seconds = 0.3
    _two_leads(ctx, api)
    for odd in ("abc", "-1", "1e5", "9" * 5000, str(2**64)):
        assert _read(api.admin, last_event_id=odd) == [], odd


def test_an_open_feed_ends_once_its_user_is_disabled(
    ctx: Context, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The principal is checked again while the feed is open (every RECHECK_SECONDS): a lead
    made after the user was disabled never reaches them."""
    ctx.settings.feed_seconds = 30
    monkeypatch.setattr(sse, "RECHECK_SECONDS", 0.05)
    open_, ended = threading.Event(), threading.Event()
    check = auth.recheck

    def watched(ctx: Context, who: Principal) -> Principal:
        try:
            found = check(ctx, who)
        except Unauthenticated:
            ended.set()
            raise
        open_.set()  # the feed is open and has checked its user once
        return found

    monkeypatch.setattr(auth, "recheck", watched)
    builders.stream(ctx, {"field": "lead_score", "op": "gte", "value": 50}, team_ids=[api.team_id])

    def disable_then_make_a_lead() -> None:
        assert open_.wait(20), "the feed did not open"
        api.admin.patch(f"/api/v1/users/{api.sales_id}", json={"active": False})
        assert ended.wait(20), "the feed did not notice"
        builders.contact(ctx, "late@example.com", lead_score=70)

    with ThreadPoolExecutor(1) as pool:
        later = pool.submit(disable_then_make_a_lead)
        seen = _read(api.sales)
        later.result()
    assert seen == []
