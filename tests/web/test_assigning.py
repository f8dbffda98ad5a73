"""Who a lead may be given to by hand: a sales user gives it only to a member of the lead's
teams and learns nothing else about other ids; admins and marketing to anyone who works
leads."""

from __future__ import annotations

from tests.support import builders
from tests.support.api import Api

HOT = {"field": "lead_score", "op": "gte", "value": 50}


def _lead(api: Api) -> int:
    builders.stream(api.admin.app.state.ctx, HOT, team_ids=[api.team_id])
    builders.contact(api.admin.app.state.ctx, "ann@example.com", lead_score=70)
    [lead] = api.admin.get("/api/v1/leads").json()["items"]
    return int(lead["id"])


def test_a_sales_user_assigns_only_to_members_of_the_leads_teams(api: Api) -> None:
    lead_id = _lead(api)
    other_sales = api.other_sales.get("/api/v1/me").json()["id"]
    marketing = api.marketing.get("/api/v1/me").json()["id"]
    answers = {
        assignee: api.sales.patch(f"/api/v1/leads/{lead_id}", json={"assignee_id": assignee})
        for assignee in (other_sales, marketing, 999_999)
    }
    messages = set()
    for answer in answers.values():
        assert answer.status_code == 422, answer.text
        [detail] = answer.json()["error"]["details"]
        assert detail["path"] == "assignee_id"
        messages.add(detail["message"])
    assert messages == {"choose a member of the lead's teams"}  # one answer: ids leak nothing

    mine = api.sales.patch(f"/api/v1/leads/{lead_id}", json={"assignee_id": api.sales_id})
    assert mine.status_code == 200 and mine.json()["assignee_id"] == api.sales_id
    by_admin = api.admin.patch(f"/api/v1/leads/{lead_id}", json={"assignee_id": other_sales})
    assert by_admin.status_code == 200 and by_admin.json()["assignee_id"] == other_sales
