"""Activity reads in the order it happened (`occurred_at`, ties by id), paged by that: an
event back-dated or imported late takes its place among the others (issue 13, item 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import Api

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def _record_out_of_order(ctx: Context) -> tuple[int, list[str]]:
    """Seven events sent in an order unlike the one they happened in (two at the same
    instant); the event ids in the order they happened, newest first."""
    sent = [("e3", 3), ("e1", 1), ("e5", 5), ("e0", 0), ("e4a", 4), ("e4b", 4), ("e2", 2)]
    recorded = None
    for event_id, hours in sent:
        at = T0 + timedelta(hours=hours)
        recorded = builders.event(ctx, "ada@example.com", "page_visited", event_id=event_id,
                                  occurred_at=at)  # fmt: skip
    assert recorded is not None
    return recorded.contact_id, ["e5", "e4b", "e4a", "e3", "e2", "e1", "e0"]


def test_the_timeline_is_ordered_by_when_events_happened_and_paged_by_that(
    ctx: Context, api: Api
) -> None:
    contact_id, expected = _record_out_of_order(ctx)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        answer = api.marketing.get(f"/api/v1/contacts/{contact_id}/events", params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        seen += [item["event_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


def test_a_page_is_stable_when_an_older_event_arrives_between_pages(ctx: Context, api: Api) -> None:
    contact_id, expected = _record_out_of_order(ctx)
    first = api.marketing.get(f"/api/v1/contacts/{contact_id}/events?limit=3").json()
    builders.event(
        ctx, "ada@example.com", "page_visited", event_id="late", occurred_at=T0 + timedelta(hours=6)
    )  # newer than all: before the cursor
    rest = api.marketing.get(
        f"/api/v1/contacts/{contact_id}/events", params={"cursor": first["next_cursor"]}
    ).json()
    ids = [item["event_id"] for item in first["items"] + rest["items"]]
    assert ids == expected and rest["next_cursor"] is None


def test_a_cursor_the_api_did_not_give_out_is_refused_naming_the_cursor(
    ctx: Context, api: Api
) -> None:
    contact_id, _ = _record_out_of_order(ctx)
    for bad in ("abc", "0", "MjAyNi0wMS0xMFQwOTowMDowMCswMDowMHww"):  # the last: id 0
        answer = api.marketing.get(f"/api/v1/contacts/{contact_id}/events?cursor={bad}")
        assert answer.status_code == 422, bad
        assert [d["path"] for d in answer.json()["error"]["details"]] == ["cursor"]
