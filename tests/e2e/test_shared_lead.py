"""One lead, shared by the teams of its streams (rule 4), says so (issue 13, item 7)."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders


def test_a_shared_lead_names_its_teams_and_its_move_asks_first(page: Page, live: Live) -> None:
    tag = uuid4().hex[:8]
    for team_id, name in ((live.team_id, "Nordic"), (live.other_team_id, "Berlin")):
        rules = {"field": "tags", "op": "contains", "value": f"{name}-{tag}"}
        builders.stream(live.ctx, rules, team_ids=[team_id], name=f"{name} {tag}")
    builders.contact(live.ctx, f"both.{tag}@example.com", first_name="Both", last_name=tag,
                     tags=[f"Nordic-{tag}", f"Berlin-{tag}"])  # fmt: skip
    builders.contact(live.ctx, f"ours.{tag}@example.com", first_name="Ours", last_name=tag,
                     tags=[f"Nordic-{tag}"])  # fmt: skip
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    log_in(page, live, "sales@example.com")
    page.goto(f"{live.url}/leads?q={tag}")
    both = page.locator(".lead").filter(has_text=f"Both {tag}")
    ours = page.locator(".lead").filter(has_text=f"Ours {tag}")
    expect(both.locator(".shared")).to_have_text("Shared: Nordics, DACH")
    expect(ours.locator(".shared")).to_have_count(0)

    both.locator("summary").click()
    both.get_by_label("Move to").select_option("sql")
    both.get_by_role("button", name="Move").click()
    sql = page.locator('[data-column="sql"]')
    expect(sql.get_by_role("link", name=f"Both {tag}")).to_be_visible()
    assert asked == [
        f"Move Both {tag} to SQL? DACH sees this lead too: the move shows on their board as well."
    ]
    ours.locator("summary").click()
    ours.get_by_label("Move to").select_option("sql")
    ours.get_by_role("button", name="Move").click()
    expect(sql.get_by_role("link", name=f"Ours {tag}")).to_be_visible()
    assert len(asked) == 1  # a lead no other team sees moves without asking
