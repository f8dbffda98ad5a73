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


def _lead_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Without the streams' own news (`stream.changed`, from switching them on)."""
    return [e for e in events if e["event"].startswith("lead.")]


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
    assert [(e["event"], e["team_ids"]) for e in mine] == [
        ("stream.changed", []),  # its stream switched on
        ("lead.created", [api.team_id]),
    ]
    theirs = _lead_events(_read(api.other_sales, last_event_id="0"))
    assert [(e["event"], e["team_ids"]) for e in theirs] == [("lead.created", [api.other_team_id])]
    assert len(_lead_events(_read(api.admin, last_event_id="0"))) == 2


def test_the_feed_resumes_after_the_last_event_id(ctx: Context, api: Api) -> None:
    ctx.settings.feed_seconds = 0.6
    _two_leads(ctx, api)
    *_, first, second = _read(api.admin, last_event_id="0")
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


def _stream_with_two_leads(ctx: Context, api: Api) -> tuple[int, int, int]:
    """A stream of the Nordics team with two leads; one of them also in a DACH stream."""
    stream_id = builders.stream(ctx, builders.SCORE_AT_LEAST_50, team_ids=[api.team_id])
    builders.stream(ctx, {"field": "city", "op": "eq", "value": "Berlin"},
                    team_ids=[api.other_team_id], name="Berlin")  # fmt: skip
    builders.contact(ctx, "only@example.com", lead_score=70)
    builders.contact(ctx, "both@example.com", lead_score=70, city="Berlin")
    found = api.admin.get("/api/v1/leads", params={"stream_id": stream_id}).json()["items"]
    by_email = {lead["contact"]["email"]: lead["id"] for lead in found}
    return stream_id, by_email["only@example.com"], by_email["both@example.com"]


def test_clearing_a_stream_tells_the_boards_that_showed_its_leads(ctx: Context, api: Api) -> None:
    ctx.settings.feed_seconds = 0.6
    stream_id, only, both = _stream_with_two_leads(ctx, api)
    start = _read(api.admin, last_event_id="0")[-1]["id"]
    api.admin.post(f"/api/v1/streams/{stream_id}/deactivate")
    assert api.admin.post(f"/api/v1/streams/{stream_id}/clear").json() == {"cleared": 2}

    seen = _read(api.sales, last_event_id=start)  # its team lost both leads
    kinds = [(e["event"], e.get("lead_id"), e.get("left_board")) for e in seen]
    assert kinds == [
        ("stream.changed", None, None),  # switched off
        ("lead.cleared", only, True),  # no match left: off every board
        ("lead.cleared", both, False),  # still on the Berlin stream's boards
        ("stream.changed", None, None),  # its counts
    ]
    assert [e["what"] for e in seen if e["event"] == "stream.changed"] == ["deactivated", "cleared"]
    assert {e["stream_id"] for e in seen if e["event"] != "lead.cleared"} == {stream_id}
    # DACH saw only the lead it still has, which lost a stream's chip; not the stream.
    theirs = _read(api.other_sales, last_event_id=start)
    assert [(e["event"], e["lead_id"]) for e in theirs] == [("lead.cleared", both)]


def test_hiding_a_lead_and_moving_it_reach_the_feed(ctx: Context, api: Api) -> None:
    ctx.settings.feed_seconds = 0.6
    _, only, _ = _stream_with_two_leads(ctx, api)
    start = _read(api.admin, last_event_id="0")[-1]["id"]
    api.admin.patch(f"/api/v1/leads/{only}", json={"hidden": True})
    api.admin.patch(f"/api/v1/leads/{only}", json={"hidden": True})  # no change: no news
    api.admin.patch(f"/api/v1/leads/{only}", json={"stage": "sql"})
    seen = _read(api.sales, last_event_id=start)
    assert [(e["event"], e["lead_id"], e.get("hidden")) for e in seen] == [
        ("lead.hidden", only, True),
        ("lead.stage_changed", only, None),
    ]
    assert _read(api.other_sales, last_event_id=start) == []


def test_a_stream_moved_to_another_team_tells_both_teams(ctx: Context, api: Api) -> None:
    ctx.settings.feed_seconds = 0.6
    stream_id, only, _ = _stream_with_two_leads(ctx, api)
    start = _read(api.admin, last_event_id="0")[-1]["id"]
    api.admin.patch(f"/api/v1/streams/{stream_id}", json={"team_ids": [api.other_team_id]})
    for client in (api.sales, api.other_sales):
        (event,) = _read(client, last_event_id=start)
        assert (event["event"], event["stream_id"], event["what"]) == (
            "stream.changed", stream_id, "edited"
        )  # fmt: skip
    # The lead is gone from the Nordics board; its page says how, not a bare "not found".
    answer = api.sales.get(f"/api/v1/leads/{only}")
    assert answer.status_code == 404
    assert "stopped delivering to your team" in answer.json()["error"]["message"]


def test_a_cleared_lead_answers_how_it_left_only_to_those_who_saw_it(
    ctx: Context, api: Api
) -> None:
    stream_id, only, _ = _stream_with_two_leads(ctx, api)
    api.admin.post(f"/api/v1/streams/{stream_id}/deactivate")
    api.admin.post(f"/api/v1/streams/{stream_id}/clear")
    answer = api.sales.patch(f"/api/v1/leads/{only}", json={"stage": "sql"})
    assert answer.status_code == 404
    message = answer.json()["error"]["message"]
    assert message.startswith(f"lead {only} left the board: cleared from the stream “Hot leads” by")
    # DACH never had it: nothing to tell, the lead does not exist for them.
    other = api.other_sales.get(f"/api/v1/leads/{only}")
    assert other.json()["error"]["message"] == f"no lead with id {only}"
