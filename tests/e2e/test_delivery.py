from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadstreams.schemas.delivery import TeamDeliveryUpdate
from leadstreams.services import team_delivery
from tests.e2e.conftest import Live
from tests.e2e.test_admin import _log_in
from tests.support import builders


@pytest.fixture
def manual_again(live: Live) -> Iterator[None]:
    """The session's other tests expect Nordics to assign nothing."""
    yield
    team_delivery.put_delivery(live.ctx, team_id=live.team_id, data=TeamDeliveryUpdate())


def test_an_admin_sets_weighted_assignment_and_the_board_says_who_and_why(
    page: Page, live: Live, screenshot_dir: Path, manual_again: None
) -> None:
    _log_in(page, live, "admin@example.com", live.password)
    page.goto(f"{live.url}/teams")
    page.get_by_role("link", name="Delivery settings of Nordics").click()
    page.get_by_label("Policy").select_option("weighted")
    page.get_by_label("sales", exact=True).check()  # in the rotation
    page.get_by_label("Weight of sales").fill("3")
    page.get_by_label("Monthly capacity of sales").fill("200")
    page.get_by_label("Send").select_option("immediate")
    page.get_by_role("button", name="Save delivery settings").click()
    expect(page.get_by_role("status")).to_have_text("Delivery settings saved.")
    page.screenshot(path=screenshot_dir / "team-delivery.png", full_page=True)

    stream = builders.stream(
        live.ctx, {"field": "company", "op": "eq", "value": "Weighted AB"},
        team_ids=[live.team_id], name="Weighted AB",
    )  # fmt: skip
    builders.contact(live.ctx, "weighted@example.com", company="Weighted AB", first_name="Wei")
    page.goto(f"{live.url}/leads?stream_id={stream}")
    card = page.locator("li.lead").filter(has_text="Wei")
    expect(card.locator(".assignee")).to_contain_text("sales (weighted)")
    card.get_by_role("link", name="Wei").click()
    expect(page.locator("ol.assignments")).to_contain_text("furthest behind their share")
