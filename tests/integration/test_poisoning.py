"""Poisoning: while several clients post good events over HTTP, another posts every hostile
value the probe found. Every good event is acknowledged and stored once; every hostile one is
refused with a 4xx in the envelope, never a 5xx (which once failed the good events sharing its
group commit)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
from sqlalchemy import func, select

from leadstreams.store.tables import events
from tests.support.api import Api
from tests.support.live_server import serving

GOOD_CLIENTS = 4
GOOD_EACH = 40


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def _event(**extra: Any) -> dict[str, Any]:
    return {"email": "target@example.com", "type": "page_visited", **extra}


# Bodies as bytes, as a hostile client writes them.
HOSTILE: list[bytes] = [
    json.dumps(_event(properties={"url": "/\x00"})).encode(),
    json.dumps(_event(properties={"url": "/\ud800"})).encode(),  # ASCII JSON: "\ud800"
    json.dumps(_event(properties={"\udfff": 1})).encode(),
    json.dumps(_event(event_id="e\ud800")).encode(),
    json.dumps(_event(properties=_deep(300))).encode(),
    json.dumps(_event(properties={str(i): i for i in range(20_000)})).encode(),
    json.dumps(_event(properties={"big": "x" * 1_000_000})).encode(),
    json.dumps(_event(occurred_at="9999-12-31T23:59:59-14:00")).encode(),
    json.dumps(_event(occurred_at="0001-01-01T00:00:00+14:00")).encode(),
    json.dumps({"contact_id": 2**64, "type": "page_visited"}).encode(),
    json.dumps({"contact_id": 999_999, "type": "page_visited"}).encode(),
    b'{"email": "target@example.com", "type": "page_visited", "properties": {"n": NaN}}',
    b'{"email": "target@example.com", "type": "page_visited", "properties": {"s": "\xff\xfe"}}',
    b'{"email": "target@example.com", "type": ',
    b"[]",
]


def test_good_events_are_all_kept_while_hostile_ones_are_refused(api: Api) -> None:
    authorization = api.marketing.headers["Authorization"]
    with serving(api.marketing.app) as url, ThreadPoolExecutor(GOOD_CLIENTS + 1) as pool:

        def good(client_number: int) -> list[int]:
            with httpx.Client(base_url=url, headers={"Authorization": authorization}) as http:
                return [
                    http.post("/api/v1/events", json={
                        "event_id": f"good-{client_number}-{i}",
                        "email": f"client{client_number}@example.com",
                        "type": "page_visited",
                        "properties": {"i": i},
                    }).status_code
                    for i in range(GOOD_EACH)
                ]  # fmt: skip

        def hostile() -> list[tuple[int, str]]:
            headers = {"Authorization": authorization, "Content-Type": "application/json"}
            with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
                answers = []
                for _ in range(3):
                    for body in HOSTILE:
                        answer = http.post("/api/v1/events", content=body)
                        answers.append((answer.status_code, answer.text[:200]))
                return answers

        refused = pool.submit(hostile)
        acknowledged = [pool.submit(good, n) for n in range(GOOD_CLIENTS)]
        statuses = [status for future in acknowledged for status in future.result()]
        hostile_answers = refused.result()

    assert statuses == [201] * (GOOD_CLIENTS * GOOD_EACH)
    for status, text in hostile_answers:
        assert 400 <= status < 500, (status, text)
        assert '"error"' in text, text
    with api.marketing.app.state.ctx.database.engine.connect() as connection:
        stored = connection.scalar(
            select(func.count()).where(events.c.event_id.like("good-%")).select_from(events)
        )
    assert stored == GOOD_CLIENTS * GOOD_EACH
