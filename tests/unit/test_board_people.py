from __future__ import annotations

from leadstreams.services.views import Person, people
from leadstreams.store.board_options import Colleague

EVERYONE = [
    Colleague(1, "zoe", "zoe@x.com", "admin", True),
    Colleague(2, "Bo", "bo@x.com", "sales", True),
    Colleague(3, "Al", "al@x.com", "sales", True),
    Colleague(4, "Cy", "cy@x.com", "marketing", True),
    Colleague(5, "Di", "di@x.com", "admin", False),
]


def _names(found: list[Person]) -> list[str]:
    return [person.name for person in found]


def test_every_active_user_who_may_work_leads_is_listed_by_name_for_every_team() -> None:
    assert _names(people(EVERYONE, teams=None, members=set())) == ["Al", "Bo", "Cy", "zoe"]


def test_for_some_teams_sales_users_are_listed_only_when_members() -> None:
    assert _names(people(EVERYONE, teams=(7,), members={2})) == ["Bo", "Cy", "zoe"]


def test_a_lead_of_no_team_lists_admins_and_marketing() -> None:
    assert _names(people(EVERYONE, teams=(), members=set())) == ["Cy", "zoe"]
