"""The team's delivery settings page (admins), the profile page (everyone's own e-mail
opt-out), and the board and lead page saying who assigned a lead, by which policy, and why."""

from __future__ import annotations

from leadstreams.services import notifications, team_delivery
from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import Api
from tests.web.test_admin_pages import _error_next_to, _logged_in, _post


def _form(api: Api, **extra: object) -> dict[str, object]:
    return {
        "policy": "weighted", "fallback_user_id": "", "notify_mode": "immediate",
        "digest_minutes": "60", "member_id": [str(api.sales_id)], "weight": ["3"],
        "monthly_capacity": ["5"], "in_rotation": [str(api.sales_id)],
    } | extra  # fmt: skip


def test_an_admin_sets_a_teams_assignment_and_e_mail_on_its_page(ctx: Context, api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    page = admin.get(f"/teams/{api.team_id}/delivery")
    assert page.status_code == 200 and "delivery settings" in page.text
    status, _ = _post(admin, f"/teams/{api.team_id}/delivery", _form(api))
    assert status == 303
    saved = team_delivery.get_delivery(ctx, team_id=api.team_id)
    assert saved.assignment.policy == "weighted"
    [member] = saved.assignment.members
    assert (member.user_id, member.weight, member.monthly_capacity) == (api.sales_id, 3, 5)
    assert saved.notify.mode == "immediate"
    assert "Delivery settings saved." in admin.get(f"/teams/{api.team_id}/delivery").text


def test_a_bad_weight_is_shown_next_to_it_and_nothing_is_saved(ctx: Context, api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    status, page = _post(admin, f"/teams/{api.team_id}/delivery", _form(api, weight=["0"]))
    assert status == 422
    assert _error_next_to(page, f"weight-{api.sales_id}") == "Enter a number above 0."
    assert team_delivery.get_delivery(ctx, team_id=api.team_id).assignment.policy == "manual"


def test_only_admins_open_a_teams_delivery_page(api: Api) -> None:
    for email in ("marketing@example.com", "sales@example.com"):
        browser = _logged_in(api, email)
        assert browser.get(f"/teams/{api.team_id}/delivery").status_code == 403


def test_each_user_opts_out_of_e_mail_on_their_own_profile(ctx: Context, api: Api) -> None:
    sales = _logged_in(api, "sales@example.com")
    page = sales.get("/profile")
    assert page.status_code == 200 and 'id="email-optin" checked' in page.text
    assert _post(sales, "/profile", {})[0] == 303  # the box unchecked
    assert notifications.preference(ctx, user_id=api.sales_id).email is False
    assert 'id="email-optin" checked' not in sales.get("/profile").text
    assert _post(sales, "/profile", {"email": "on"})[0] == 303
    assert notifications.preference(ctx, user_id=api.sales_id).email is True


def test_the_board_and_the_lead_say_who_assigned_it_by_which_policy_and_why(
    ctx: Context, api: Api
) -> None:
    admin = _logged_in(api, "admin@example.com")
    assert _post(admin, f"/teams/{api.team_id}/delivery", _form(api))[0] == 303
    builders.stream(ctx, builders.SCORE_AT_LEAST_50, team_ids=[api.team_id])
    builders.contact(ctx, "hot@example.com", lead_score=80, first_name="Hot")
    sales = _logged_in(api, "sales@example.com")
    board = sales.get("/leads").text
    card = board.split('class="assignee"')[1].split("</span></p>")[0]
    assert "sales" in card and "(weighted)" in card
    assert "furthest behind their share" in card  # the reason, as the card's title
    lead = sales.get("/leads/1").text
    history = lead.split("Assignment history")[1].split("</ol>")[0]
    assert "by weighted (Nordics)" in history and "furthest behind their share" in history


def test_a_lead_nobody_was_available_for_says_so_on_the_board(ctx: Context, api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    form = _form(api, paused=[str(api.sales_id)])
    assert _post(admin, f"/teams/{api.team_id}/delivery", form)[0] == 303
    builders.stream(ctx, builders.SCORE_AT_LEAST_50, team_ids=[api.team_id])
    builders.contact(ctx, "hot@example.com", lead_score=80)
    card = _logged_in(api, "sales@example.com").get("/leads").text
    assert 'Unassigned <small class="assigned-by">(nobody available)</small>' in card
