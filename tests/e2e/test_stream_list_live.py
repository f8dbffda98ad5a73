from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders


def test_the_stream_list_counts_new_leads_without_a_reload(page: Page, live: Live) -> None:
    tag = uuid.uuid4().hex[:8]
    rules = {"all": [{"field": "tags", "op": "contains", "value": tag},
                     {"field": "lead_score", "op": "gte", "value": 50}]}  # fmt: skip
    name = f"Live count {tag}"
    builders.stream(live.ctx, rules, team_ids=[live.team_id], name=name)
    log_in(page, live, "marketing@example.com")
    page.goto(f"{live.url}/streams")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name))
    expect(row.get_by_role("cell").nth(3)).to_have_text("0")
    page.wait_for_timeout(500)  # the live feed connects
    builders.contact(live.ctx, f"{tag}@example.com", lead_score=80, tags=[tag])
    expect(row.get_by_role("cell").nth(3)).to_have_text("1", timeout=10_000)
