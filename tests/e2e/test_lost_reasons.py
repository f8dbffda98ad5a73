"""Lost with a reason (issue 13, item 13): admins keep the list; moving a lead to Lost on the
board or on its card asks why; the reason shows on the card and in its stage history."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import Page, expect

from leadstreams.domain.roles import Role
from leadstreams.services import leads
from leadstreams.services.auth import Principal
from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders

ADMIN = Principal(0, "admin@example.com", "admin", Role.ADMIN, ())


def _stream_with_leads(live: Live, *names: str) -> tuple[int, str]:
    tag = uuid4().hex[:8]
    stream_id = builders.stream(live.ctx, {"field": "tags", "op": "contains", "value": tag},
                                team_ids=[live.team_id], name=f"Lost {tag}")  # fmt: skip
    for name in names:
        builders.contact(live.ctx, f"{name.lower()}.{tag}@example.com", first_name=name,
                         last_name=tag, tags=[tag])  # fmt: skip
    return stream_id, tag


def _lead_of(live: Live, stream_id: int, name: str) -> leads.LeadRead:
    query = leads.LeadQuery(stream_id=stream_id, q=name.lower(), hidden=None)
    (lead,) = leads.list_leads(live.ctx, who=ADMIN, query=query).items
    return lead


def test_admins_keep_the_list_and_the_board_asks_why_a_lead_is_lost(page: Page, live: Live) -> None:
    reason = f"No budget {uuid4().hex[:4]}"
    log_in(page, live, "admin@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Lost reasons").click()
    page.get_by_role("button", name="Add reason").click()
    expect(page.locator("#new-reason-error")).to_have_text("Fill this in.")
    page.get_by_label("Reason", exact=True).fill(reason)
    page.get_by_role("button", name="Add reason").click()
    expect(page.get_by_role("status")).to_contain_text(f"“{reason}” is on the list.")
    page.get_by_role("button", name="Log out").click()

    stream_id, tag = _stream_with_leads(live, "Lena", "Mats")
    log_in(page, live, "sales@example.com")
    page.goto(f"{live.url}/leads?stream={stream_id}")
    lena = page.locator(".lead").filter(has=page.get_by_role("link", name=f"Lena {tag}"))
    lost = page.locator('[data-column="lost"]')
    lena.drag_to(lost)
    dialog = page.get_by_role("dialog", name=f"Why is Lena {tag} lost?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Move to Lost").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Choose why the lead is lost, or say it in words."
    )
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(
        page.locator('[data-column="mql"]').get_by_role("link", name=f"Lena {tag}")
    ).to_be_visible()
    assert _lead_of(live, stream_id, "Lena").stage == "mql"

    lena.drag_to(lost)
    dialog.get_by_label("Reason", exact=True).select_option(label=reason)
    dialog.get_by_label("In your words").fill("asked again in spring")
    dialog.get_by_role("button", name="Move to Lost").click()
    expect(lost.get_by_role("link", name=f"Lena {tag}")).to_be_visible()
    moved = _lead_of(live, stream_id, "Lena")
    assert (moved.stage, moved.lost_reason) == ("lost", f"{reason}: asked again in spring")

    page.goto(f"{live.url}/leads/{moved.id}")
    expect(page.locator(".facts")).to_contain_text(f"Lost because{reason}: asked again in spring")
    expect(page.locator(".history").first).to_contain_text(
        f"Reason: {reason}: asked again in spring"
    )


def test_the_lead_card_asks_for_the_reason_when_lost_is_chosen(page: Page, live: Live) -> None:
    stream_id, _ = _stream_with_leads(live, "Nora")
    lead = _lead_of(live, stream_id, "Nora")
    log_in(page, live, "sales@example.com")
    page.goto(f"{live.url}/leads/{lead.id}")
    expect(page.locator("[data-lost-fields]")).to_be_hidden()
    page.get_by_label("Stage").select_option(label="Lost / No opportunity")
    expect(page.locator("[data-lost-fields]")).to_be_visible()
    page.get_by_role("button", name="Change stage").click()
    expect(page.locator("#lost-error")).to_have_text(
        "Choose why the lead is lost, or say it in words."
    )
    page.locator("#lost-detail").fill("Chose a cheaper tool")
    page.get_by_role("button", name="Change stage").click()
    expect(page.locator(".facts")).to_contain_text("Lost becauseChose a cheaper tool")
    assert _lead_of(live, stream_id, "Nora").lost_reason == "Chose a cheaper tool"
