from __future__ import annotations

from leadstreams.domain.roles import Role
from leadstreams.services.auth import Principal
from leadstreams.services.feed import FeedItem, items_for
from leadstreams.store.outbox import Change

ADMIN = Principal(1, "admin@x.com", "Admin", Role.ADMIN, ())
NORTH = Principal(2, "north@x.com", "North", Role.SALES, (10,))
CHANGES = [
    Change(1, "lead.created", 100, {"lead_id": 100}),
    Change(2, "lead.matched", 200, {"lead_id": 200}),
    Change(3, "lead.cleared", None, {}),
]
TEAMS = {100: [10, 20], 200: [20]}


def test_a_user_who_sees_every_lead_gets_every_change_with_its_leads_teams() -> None:
    assert items_for(ADMIN, CHANGES, TEAMS) == [
        FeedItem(1, "lead.created", {"lead_id": 100, "team_ids": [10, 20]}),
        FeedItem(2, "lead.matched", {"lead_id": 200, "team_ids": [20]}),
        FeedItem(3, "lead.cleared", {"team_ids": []}),
    ]


def test_a_sales_user_gets_the_changes_of_leads_delivered_to_their_teams_only() -> None:
    found = items_for(NORTH, CHANGES, TEAMS)
    assert [item.id for item in found] == [1]


def test_an_item_does_not_change_the_change_it_was_made_from() -> None:
    items_for(ADMIN, CHANGES, TEAMS)
    assert CHANGES[0].payload == {"lead_id": 100}


def test_a_sales_user_hears_of_a_lead_that_left_their_teams_board() -> None:
    """A cleared lead has no team left: the teams that saw it come in its payload."""
    cleared = [Change(4, "lead.cleared", 300, {"lead_id": 300, "seen_by_team_ids": [10]})]
    assert [item.id for item in items_for(NORTH, cleared, {})] == [4]
    elsewhere = [Change(5, "lead.cleared", 300, {"lead_id": 300, "seen_by_team_ids": [20]})]
    assert items_for(NORTH, elsewhere, {}) == []
