"""Lead scoring in a browser: install the default sets, switch one on (the page warns that
the scores become adjustments), see a contact's score rise after a form, and a stream on
`lead_score` make the lead."""

from __future__ import annotations

import re
import time
import uuid

from playwright.sync_api import Page, expect
from sqlalchemy import select

from leadstreams.store.tables import jobs
from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders


def _no_job_left(live: Live) -> None:
    """The e2e server is shared: other tests write lead_score once no set is active."""
    deadline = time.monotonic() + 15
    while True:
        with live.ctx.database.engine.connect() as connection:
            pending = connection.execute(
                select(jobs.c.id).where(jobs.c.status.in_(["queued", "running"]))
            ).all()
        if not pending:
            return
        assert time.monotonic() < deadline, "the recompute did not finish"
        time.sleep(0.1)


def test_defaults_installed_a_form_raises_the_score_and_a_score_stream_makes_the_lead(
    page: Page, live: Live
) -> None:
    tag = uuid.uuid4().hex[:6]
    email = f"dee@scoring-{tag}.example"
    contact_id = builders.contact(live.ctx, email, first_name="Dee")
    mine = {"field": "email", "op": "ends_with", "value": f"scoring-{tag}.example"}
    rules = {"all": [{"field": "lead_score", "op": "gte", "value": 15}, mine]}
    builders.stream(live.ctx, rules, team_ids=[live.team_id], name=f"Scored {tag}")
    log_in(page, live, "marketing@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Scoring").click()
    page.get_by_role("button", name="Install default sets").click()
    expect(page.get_by_role("status")).to_contain_text("Installed Engagement, Persona")
    page.get_by_role("link", name="Engagement").click()
    expect(page.get_by_role("note")).to_contain_text("imported score")
    expect(page.locator("#score-rules")).to_contain_text("Submitted any form")
    expect(page.locator("#preview")).to_contain_text("from Submitted any form")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Switch on").click()
    expect(page.get_by_role("status")).to_contain_text("Active")
    try:
        _no_job_left(live)
        builders.event(live.ctx, email, "form_submitted")
        page.goto(f"{live.url}/contacts/{contact_id}")
        summary = page.locator("#score")
        expect(summary.locator(".score-value")).to_have_text("15")
        expect(summary).to_contain_text("Submitted any form")
        expect(summary.locator("svg polyline")).to_have_count(1)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
        card = page.get_by_role("link", name=re.compile("Dee"))
        expect(card.first).to_be_visible()
    finally:
        page.goto(f"{live.url}/scoring")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("row").filter(has_text="Engagement").get_by_role(
            "button", name="Switch off"
        ).click()
        expect(page.get_by_role("status")).to_contain_text("Inactive")
        _no_job_left(live)
