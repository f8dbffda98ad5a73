"""Activity in the order it happened, on the lead card and the contact page (issue 13, item 2):
events sent out of order (back-dated, imported late) read newest first by `occurred_at`,
also across "Show older activity"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from playwright.sync_api import Page, expect

from leadstreams.domain.roles import Role
from leadstreams.services import leads
from leadstreams.services.auth import Principal
from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
ADMIN = Principal(0, "admin@example.com", "admin", Role.ADMIN, ())


def _lead_with_shuffled_activity(live: Live, count: int) -> tuple[int, int]:
    """A lead whose contact has `count` visits sent in an order unlike their times."""
    tag = uuid4().hex[:8]
    stream_id = builders.stream(live.ctx, {"field": "tags", "op": "contains", "value": tag},
                                team_ids=[live.team_id], name=f"Activity {tag}")  # fmt: skip
    email = f"ines.{tag}@example.com"
    contact_id = builders.contact(live.ctx, email, first_name="Ines", last_name="Order",
                                  tags=[tag])  # fmt: skip
    hours = [(n * 7) % count for n in range(count)]  # every hour once, shuffled
    for n, hour in enumerate(hours):
        builders.event(live.ctx, email, "page_visited", event_id=f"{tag}-{n}",
                       occurred_at=T0 + timedelta(hours=hour),
                       properties={"url": f"/step-{hour:02d}"})  # fmt: skip
    (lead,) = leads.list_leads(
        live.ctx, who=ADMIN, query=leads.LeadQuery(stream_id=stream_id)
    ).items
    return lead.id, contact_id


def _times(page: Page) -> list[str]:
    return page.locator("#activity .timeline time, .timeline-card .timeline time").evaluate_all(
        "els => els.map(e => e.getAttribute('datetime'))"
    )


def test_the_lead_card_reads_activity_in_the_order_it_happened_across_pages(
    page: Page, live: Live
) -> None:
    lead_id, _ = _lead_with_shuffled_activity(live, 23)
    log_in(page, live, "sales@example.com")
    page.goto(f"{live.url}/leads/{lead_id}")
    expect(page.locator("#activity .event")).to_have_count(20)
    page.get_by_role("button", name="Show older activity").click()
    expect(page.locator("#activity .event")).to_have_count(23)
    expect(page.get_by_role("button", name="Show older activity")).to_have_count(0)
    times = _times(page)
    assert times == sorted(times, reverse=True) and len(set(times)) == 23
    expect(page.locator("#activity .event").first).to_contain_text("/step-22")
    expect(page.locator("#activity .event").last).to_contain_text("/step-00")


def test_the_contact_page_reads_activity_in_the_order_it_happened_across_pages(
    page: Page, live: Live
) -> None:
    _, contact_id = _lead_with_shuffled_activity(live, 53)
    log_in(page, live, "marketing@example.com")
    page.goto(f"{live.url}/contacts/{contact_id}")
    first = _times(page)
    assert len(first) == 50 and first == sorted(first, reverse=True)
    page.get_by_role("link", name="Older activity").click()
    older = _times(page)
    assert len(older) == 3 and older == sorted(older, reverse=True) and older[0] < first[-1]
