"""Who may do what through the API (product spec section 1, api.md): one table, one test.

Anonymous callers get 401 everywhere but the public pages; admins may do everything;
marketing everything but managing users and teams; sales work the leads of their teams,
read streams and teams, change only the category of their leads' contacts, and get 404 for
a lead or contact of another team, so that ids leak nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from leadstreams.domain.roles import Role
from leadstreams.domain.scopes import Scope
from leadstreams.schemas.api_keys import ApiKeyCreate
from leadstreams.schemas.contacts import ContactCreate
from leadstreams.schemas.leads import LostReasonCreate
from leadstreams.schemas.scoring import ScoreSetCreate
from leadstreams.schemas.users import TeamUpdate
from leadstreams.schemas.webhooks import WebhookCreate
from leadstreams.services import (
    api_keys,
    contacts,
    fetch_history,
    lost_reasons,
    scoring,
    users,
    webhook_sender,
    webhooks,
)
from leadstreams.services.api_keys import KeyHasher
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import Api
from tests.support.snapshot import database_rows
from tests.support.world import World, module_world

SCORE_AT_LEAST_50 = builders.SCORE_AT_LEAST_50
IN_GERMANY = {"field": "country", "op": "eq", "value": "DE"}
AT_ACME = {"field": "company", "op": "contains", "value": "acme"}

NEW_USER = {"email": "new@example.com", "name": "New", "role": "marketing", "password": "x" * 12}
NEW_CONTACT = {"email": "new@example.com", "first_name": "Ann", "tags": ["webinar"]}
NEW_EVENT = {"email": "visitor@example.com", "type": "page_visited", "properties": {"url": "/"}}
NEW_FIELD = {"name": "nps", "label": "NPS", "type": "number"}
NEW_STREAM = {"name": "New", "rules": SCORE_AT_LEAST_50, "team_ids": ["{team}"]}
RULES = {"rules": SCORE_AT_LEAST_50}
CATEGORY = {"category": "customer"}
FIRST_NAME = {"first_name": "Eve"}
STAGE = {"stage": "sql"}
NOTE = {"text": "Called, wants a demo"}
DELIVERY = {"assignment": {"policy": "round_robin", "members": [{"user_id": "{sales_user}"}]}}
NEW_KEY = {"name": "ETL", "scopes": ["ingest"]}
SEGMENT_TRACK = {"type": "track", "userId": "u1", "event": "Demo Booked"}
TITLE_SET = {"field": "title", "op": "is_set"}
NEW_SCORE_SET = {"name": "New set", "rules": [{"name": "T", "criteria": TITLE_SET, "points": 2}]}
ADJUSTMENT = {"points": 5, "reason": "met at a fair"}
LOST = {"stage": "lost", "lost_reason": "No budget: next year"}
# A literal public address: checked without a DNS lookup; nothing is sent in these tests.
NEW_WEBHOOK = {"url": "https://93.184.215.14/hooks", "events": ["lead.created"]}

# Paths name what the `world` fixture made: {lead} is on the sales user's board, {other_lead}
# only on the other team's, {plain_contact} has no lead, {inactive_stream} delivers nowhere
# live, {dach_stream} is active and has no job, {job} is a queued fetch-history job.
#
#  method    path                                          body         anon admin mkt sales
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, int, int, int, int]] = [
    ("GET", "/api/v1/users", None, 401, 200, 403, 403),
    ("POST", "/api/v1/users", NEW_USER, 401, 201, 403, 403),
    ("GET", "/api/v1/users/{sales_user}", None, 401, 200, 403, 200),
    ("GET", "/api/v1/users/{admin_user}", None, 401, 200, 403, 403),
    ("PATCH", "/api/v1/users/{sales_user}", {"name": "Sam"}, 401, 200, 403, 403),
    ("GET", "/api/v1/me", None, 401, 200, 200, 200),
    ("GET", "/api/v1/api-keys", None, 401, 200, 403, 403),
    ("POST", "/api/v1/api-keys", NEW_KEY, 401, 201, 403, 403),
    ("DELETE", "/api/v1/api-keys/{api_key}", None, 401, 200, 403, 403),
    ("GET", "/api/v1/teams", None, 401, 200, 200, 200),
    ("GET", "/api/v1/teams/{team}", None, 401, 200, 200, 200),
    ("POST", "/api/v1/teams", {"name": "Benelux"}, 401, 201, 403, 403),
    ("PATCH", "/api/v1/teams/{spare_team}", {"name": "Iberia"}, 401, 200, 403, 403),
    ("DELETE", "/api/v1/teams/{spare_team}", None, 401, 204, 403, 403),
    ("GET", "/api/v1/teams/{team}/delivery", None, 401, 200, 200, 200),
    ("PUT", "/api/v1/teams/{team}/delivery", DELIVERY, 401, 200, 403, 403),
    ("GET", "/api/v1/me/notifications", None, 401, 200, 200, 200),
    ("PUT", "/api/v1/me/notifications", {"email": False}, 401, 200, 200, 200),
    ("GET", "/api/v1/contacts", None, 401, 200, 200, 403),
    ("GET", "/api/v1/contacts?q=example", None, 401, 200, 200, 403),
    ("POST", "/api/v1/contacts", NEW_CONTACT, 401, 201, 201, 403),
    ("GET", "/api/v1/contacts/{lead_contact}", None, 401, 200, 200, 200),
    ("GET", "/api/v1/contacts/{other_contact}", None, 401, 200, 200, 404),
    ("GET", "/api/v1/contacts/{plain_contact}", None, 401, 200, 200, 404),
    ("PATCH", "/api/v1/contacts/{lead_contact}", CATEGORY, 401, 200, 200, 200),
    ("PATCH", "/api/v1/contacts/{lead_contact}", FIRST_NAME, 401, 200, 200, 403),
    ("PATCH", "/api/v1/contacts/{other_contact}", CATEGORY, 401, 200, 200, 404),
    ("PATCH", "/api/v1/contacts/{plain_contact}", CATEGORY, 401, 200, 200, 404),
    ("GET", "/api/v1/contacts/{lead_contact}/events", None, 401, 200, 200, 200),
    ("GET", "/api/v1/contacts/{other_contact}/events", None, 401, 200, 200, 404),
    ("POST", "/api/v1/events", NEW_EVENT, 401, 201, 201, 403),
    ("POST", "/api/v1/events/batch", {"events": [NEW_EVENT]}, 401, 200, 200, 403),
    ("GET", "/api/v1/fields", None, 401, 200, 200, 200),
    ("POST", "/api/v1/fields", NEW_FIELD, 401, 201, 201, 403),
    ("POST", "/api/v1/rules/validate", RULES, 401, 200, 200, 200),
    ("GET", "/api/v1/streams", None, 401, 200, 200, 200),
    ("GET", "/api/v1/streams/{stream}", None, 401, 200, 200, 200),
    ("POST", "/api/v1/streams", NEW_STREAM, 401, 201, 201, 403),
    ("PATCH", "/api/v1/streams/{stream}", {"description": "Warm"}, 401, 200, 200, 403),
    ("DELETE", "/api/v1/streams/{inactive_stream}", None, 401, 204, 204, 403),
    ("POST", "/api/v1/streams/{inactive_stream}/activate", None, 401, 200, 200, 403),
    ("POST", "/api/v1/streams/{stream}/deactivate", None, 401, 200, 200, 403),
    ("POST", "/api/v1/streams/{dach_stream}/fetch-history", None, 401, 202, 202, 403),
    ("POST", "/api/v1/streams/{inactive_stream}/clear", None, 401, 200, 200, 403),
    ("GET", "/api/v1/streams/{stream}/preview", None, 401, 200, 200, 403),
    ("GET", "/api/v1/streams/{stream}/history", None, 401, 200, 200, 403),
    ("GET", "/api/v1/jobs/{job}", None, 401, 200, 200, 403),
    ("GET", "/api/v1/leads", None, 401, 200, 200, 200),
    ("GET", "/api/v1/leads/archive", None, 401, 200, 200, 403),
    ("GET", "/api/v1/leads/{lead}", None, 401, 200, 200, 200),
    ("GET", "/api/v1/leads/{other_lead}", None, 401, 200, 200, 404),
    ("GET", "/api/v1/leads/999999", None, 401, 404, 404, 404),
    ("PATCH", "/api/v1/leads/{lead}", STAGE, 401, 200, 200, 200),
    ("PATCH", "/api/v1/leads/{other_lead}", STAGE, 401, 200, 200, 404),
    ("PATCH", "/api/v1/leads/{lead}", {"hidden": True}, 401, 200, 200, 200),
    ("PATCH", "/api/v1/leads/{lead}", LOST, 401, 200, 200, 200),
    ("PATCH", "/api/v1/leads/{other_lead}", LOST, 401, 200, 200, 404),
    ("GET", "/api/v1/lost-reasons", None, 401, 200, 200, 200),
    ("POST", "/api/v1/lost-reasons", {"label": "Went with a competitor"}, 401, 201, 403, 403),
    ("DELETE", "/api/v1/lost-reasons/{lost_reason}", None, 401, 204, 403, 403),
    ("PATCH", "/api/v1/leads/{lead}", {"assignee_id": "{sales_user}"}, 401, 200, 200, 200),
    ("GET", "/api/v1/leads/{lead}/stages", None, 401, 200, 200, 200),
    ("GET", "/api/v1/leads/{other_lead}/stages", None, 401, 200, 200, 404),
    ("POST", "/api/v1/leads/{lead}/notes", NOTE, 401, 201, 201, 201),
    ("POST", "/api/v1/leads/{other_lead}/notes", NOTE, 401, 201, 201, 404),
    ("GET", "/api/v1/leads/{lead}/assignments", None, 401, 200, 200, 200),
    ("GET", "/api/v1/leads/{other_lead}/assignments", None, 401, 200, 200, 404),
    ("GET", "/api/v1/leads/{lead}/notes", None, 401, 200, 200, 200),
    ("GET", "/api/v1/leads/{other_lead}/notes", None, 401, 200, 200, 404),
    # The tracking API takes API keys only (a person's token is not a write key).
    ("POST", "/v1/batch", {"batch": [SEGMENT_TRACK]}, 401, 401, 401, 401),
    ("POST", "/v1/track", SEGMENT_TRACK, 401, 401, 401, 401),
    (
        "POST",
        "/v1/identify",
        {"userId": "u1", "traits": {"email": "u1@example.com"}},
        401,
        401,
        401,
        401,
    ),
    ("POST", "/v1/page", {"userId": "u1", "properties": {"path": "/"}}, 401, 401, 401, 401),
    ("GET", "/api/v1/score-sets", None, 401, 200, 200, 403),
    ("POST", "/api/v1/score-sets", NEW_SCORE_SET, 401, 201, 201, 403),
    ("POST", "/api/v1/score-sets/install-defaults", None, 401, 201, 201, 403),
    ("GET", "/api/v1/score-sets/{score_set}", None, 401, 200, 200, 403),
    ("PATCH", "/api/v1/score-sets/{score_set}", {"description": "Fit"}, 401, 200, 200, 403),
    ("POST", "/api/v1/score-sets/{inactive_score_set}/activate", None, 401, 200, 200, 403),
    ("POST", "/api/v1/score-sets/{score_set}/deactivate", None, 401, 200, 200, 403),
    ("GET", "/api/v1/score-sets/{score_set}/preview", None, 401, 200, 200, 403),
    ("GET", "/api/v1/contacts/{lead_contact}/score", None, 401, 200, 200, 200),
    ("GET", "/api/v1/contacts/{other_contact}/score", None, 401, 200, 200, 404),
    ("POST", "/api/v1/contacts/{lead_contact}/score-adjustments", ADJUSTMENT, 401, 201, 201, 403),
    ("POST", "/api/v1/contacts/{other_contact}/score-adjustments", ADJUSTMENT, 401, 201, 201, 403),
    ("GET", "/api/v1/webhooks", None, 401, 200, 403, 403),
    ("POST", "/api/v1/webhooks", NEW_WEBHOOK, 401, 201, 403, 403),
    ("GET", "/api/v1/webhooks/{webhook}", None, 401, 200, 403, 403),
    ("PATCH", "/api/v1/webhooks/{webhook}", {"active": False}, 401, 200, 403, 403),
    ("DELETE", "/api/v1/webhooks/{webhook}", None, 401, 204, 403, 403),
    ("POST", "/api/v1/webhooks/{webhook}/rotate-secret", None, 401, 200, 403, 403),
    ("GET", "/api/v1/webhooks/{webhook}/deliveries", None, 401, 200, 403, 403),
    ("POST", "/api/v1/webhooks/{webhook}/deliveries/{delivery}/retry", None, 401, 202, 403, 403),
    ("GET", "/healthz", None, 200, 200, 200, 200),
    ("GET", "/metrics", None, 200, 200, 200, 200),
    ("GET", "/docs", None, 200, 200, 200, 200),
    ("GET", "/openapi.json", None, 200, 200, 200, 200),
]
ROLES = ("anonymous", "admin", "marketing", "sales")
ERROR_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}

# API keys (api.md, "Authentication"): `ingest` puts contacts and events in, `read` reads
# leads, contacts and streams (and the field vocabulary they are written in). What a key's
# scope names answers as it does for marketing (a key reaches every lead and no users);
# every other call is 403; the public endpoints stay public.
KEY_SCOPES = ("ingest", "read")
INGEST_CALLS = {
    ("POST", "/api/v1/contacts"),
    ("POST", "/api/v1/events"),
    ("POST", "/api/v1/events/batch"),
}
TRACKING_CALLS = {("POST", f"/v1/{name}") for name in ("batch", "track", "identify", "page")}
READ_RESOURCES = ("/api/v1/leads", "/api/v1/contacts", "/api/v1/streams", "/api/v1/fields")


def _key_status(scope: str, method: str, path: str, statuses: list[int]) -> int:
    anonymous, _admin, marketing, _sales = statuses
    if anonymous != 401:
        return anonymous
    if (method, path) in TRACKING_CALLS:  # for keys only: 200 {"success": true}
        return 200 if scope == "ingest" else 403
    if scope == "ingest":
        allowed = (method, path) in INGEST_CALLS
    else:
        allowed = method == "GET" and path.startswith(READ_RESOURCES)
    return marketing if allowed else 403


def _case_id(role: str, method: str, path: str, body: dict[str, Any] | None) -> str:
    keys = f" {','.join(body)}" if body and method == "PATCH" else ""
    return f"{role} {method} {path}{keys}"


MATRIX = [
    pytest.param(role, method, path, body, status, id=_case_id(role, method, path, body))
    for method, path, body, *statuses in ENDPOINTS
    for role, status in zip(ROLES, statuses, strict=True)
] + [
    pytest.param(scope, method, path, body, status, id=_case_id(f"{scope} key", method, path, body))
    for method, path, body, *statuses in ENDPOINTS
    for scope in KEY_SCOPES
    for status in [_key_status(scope, method, path, statuses)]
]


def _contact(ctx: Context, email: str, **fields: Any) -> tuple[int, int | None]:
    """A contact and the lead its creation made, if any."""
    created, change = contacts.upsert_contact(ctx, data=ContactCreate(email=email, **fields))
    lead_ids = {match.lead_id for match in change.matches}
    assert len(lead_ids) <= 1
    return created.id, (lead_ids.pop() if lead_ids else None)


def _populate(api: Api, ctx: Context) -> dict[str, int]:
    """Two active streams, one per team, each with a lead; a lead on both boards; a contact
    with no lead; an inactive stream; a queued fetch-history job; a team with no stream."""
    stream = builders.stream(ctx, SCORE_AT_LEAST_50, team_ids=[api.team_id], name="Hot leads")
    dach_stream = builders.stream(ctx, IN_GERMANY, team_ids=[api.other_team_id], name="DACH")
    inactive_stream = builders.stream(
        ctx, AT_ACME, team_ids=[api.team_id], name="Acme", active=False
    )
    lead_contact, lead = _contact(ctx, "hot@example.com", lead_score=70, company="Acme")
    other_contact, other_lead = _contact(ctx, "dach@example.com", country="DE")
    shared_contact, shared_lead = _contact(ctx, "both@example.com", lead_score=90, country="DE")
    plain_contact, _ = _contact(ctx, "plain@example.com", lead_score=10)
    api_key = api_keys.create_key(
        ctx,
        hasher=KeyHasher("x" * 32),
        data=ApiKeyCreate(name="Old ETL", scopes=[Scope.INGEST]),
        created_by=None,
    )
    assert lead and other_lead and shared_lead
    builders.event(ctx, "hot@example.com", "email_opened")
    job = fetch_history.start_fetch_history(ctx, stream_id=stream, user_id=None).id
    rules = [{"name": "Title", "criteria": TITLE_SET, "points": 2}]
    score_set = scoring.create_set(ctx, user_id=None, data=ScoreSetCreate(
        name="Fit", rules=rules, active=True)).id  # fmt: skip
    inactive_score_set = scoring.create_set(ctx, data=ScoreSetCreate(name="Spare"), user_id=None).id
    emails = {user.email: user.id for user in users.list_users(ctx)}
    webhook = webhooks.create_subscription(ctx, data=WebhookCreate(**NEW_WEBHOOK)).id  # type: ignore[arg-type]
    webhook_sender.fan_out(ctx)  # the leads' deliveries, not sent
    admin = Principal(0, "admin@example.com", "admin", Role.ADMIN, ())
    no_budget = lost_reasons.add_reason(ctx, who=admin, data=LostReasonCreate(label="No budget"))
    [delivery] = webhooks.list_deliveries(ctx, subscription_id=webhook).items[:1]
    return {
        "webhook": webhook,
        "delivery": delivery.id,
        "team": api.team_id,
        "other_team": api.other_team_id,
        "spare_team": builders.team(ctx, "Spare"),
        "admin_user": emails["admin@example.com"],
        "sales_user": api.sales_id,
        "stream": stream,
        "dach_stream": dach_stream,
        "inactive_stream": inactive_stream,
        "job": job,
        "lead_contact": lead_contact,
        "lead": lead,
        "other_contact": other_contact,
        "other_lead": other_lead,
        "shared_contact": shared_contact,
        "shared_lead": shared_lead,
        "plain_contact": plain_contact,
        "api_key": api_key.id,
        "score_set": score_set,
        "inactive_score_set": inactive_score_set,
        "lost_reason": no_budget.id,
    }


built, world = module_world(_populate)  # the world made once per module, reset per test


@pytest.mark.parametrize(("role", "method", "path", "body", "status"), MATRIX)
def test_each_role_may_do_what_the_spec_says_and_nothing_else(
    world: World, role: str, method: str, path: str, body: dict[str, Any] | None, status: int
) -> None:
    before = database_rows(world.ctx.database.engine)
    client = world.api.as_role(role)
    answer = client.request(method, world.fill(path), json=world.fill(body))
    assert answer.status_code == status, answer.text
    if status >= 400:
        assert answer.json()["error"]["code"] == ERROR_CODES[status]
        after = database_rows(world.ctx.database.engine)
        if role in KEY_SCOPES:  # a key's use is recorded (last_used_at), even for a 404
            before.pop("api_keys"), after.pop("api_keys")
        assert after == before, "a refused request changed data"


def _board(world: World, role: str, query: str = "") -> set[int]:
    answer = world.api.as_role(role).get(f"/api/v1/leads{query}")
    assert answer.status_code == 200, answer.text
    return {lead["id"] for lead in answer.json()["items"]}


def test_a_sales_user_lists_only_the_leads_of_its_teams(world: World) -> None:
    ids = world.ids
    assert _board(world, "sales") == {ids["lead"], ids["shared_lead"]}
    assert _board(world, "other_sales") == {ids["other_lead"], ids["shared_lead"]}
    everything = {ids["lead"], ids["other_lead"], ids["shared_lead"]}
    assert _board(world, "admin") == everything
    assert _board(world, "marketing") == everything


def test_filtering_by_another_team_or_its_stream_shows_a_sales_user_nothing_more(
    world: World,
) -> None:
    ids = world.ids
    assert _board(world, "sales", f"?team_id={ids['other_team']}") == {ids["shared_lead"]}
    assert _board(world, "sales", f"?stream_id={ids['dach_stream']}") == {ids["shared_lead"]}
    assert _board(world, "sales", "?q=dach") == set()


def test_a_lead_delivered_to_both_teams_is_visible_and_workable_by_both(world: World) -> None:
    path = f"/api/v1/leads/{world.ids['shared_lead']}"
    for role in ("sales", "other_sales"):
        lead = world.api.as_role(role).get(path)
        assert lead.status_code == 200, lead.text
        assert lead.json()["team_ids"] == sorted([world.ids["team"], world.ids["other_team"]])
        assert {match["stream_name"] for match in lead.json()["matches"]} == {"Hot leads", "DACH"}
    assert world.api.other_sales.patch(path, json=STAGE).json()["stage"] == "sql"
    note = world.api.sales.post(f"{path}/notes", json=NOTE)
    assert note.status_code == 201
    contact = f"/api/v1/contacts/{world.ids['shared_contact']}"
    assert world.api.other_sales.patch(contact, json=CATEGORY).json()["category"] == "customer"


def test_a_sales_user_in_two_teams_sees_the_leads_of_both(world: World) -> None:
    ids = world.ids
    users.update_team(
        world.ctx,
        team_id=ids["other_team"],
        data=TeamUpdate(member_ids=[*_members(world, "other_team"), ids["sales_user"]]),
    )
    assert _board(world, "sales") == {ids["lead"], ids["other_lead"], ids["shared_lead"]}
    assert world.api.sales.get(f"/api/v1/leads/{ids['other_lead']}").status_code == 200


def _members(world: World, team: str) -> list[int]:
    return list(users.get_team(world.ctx, team_id=world.ids[team]).member_ids)


def test_a_cleared_lead_leaves_the_sales_board_and_answers_404(world: World) -> None:
    marketing, ids = world.api.marketing, world.ids
    assert marketing.post(f"/api/v1/streams/{ids['dach_stream']}/deactivate").status_code == 200
    assert marketing.post(f"/api/v1/streams/{ids['dach_stream']}/clear").json() == {"cleared": 2}
    assert _board(world, "other_sales") == set()
    assert world.api.other_sales.get(f"/api/v1/leads/{ids['other_lead']}").status_code == 404
    assert world.api.other_sales.get(f"/api/v1/contacts/{ids['other_contact']}").status_code == 404
    assert _board(world, "sales") == {ids["lead"], ids["shared_lead"]}


# Operations the table leaves to their own tests, and why.
NOT_IN_THE_TABLE = {
    # revoking would end the module's shared token of the role: tests/web/test_revocation.py
    ("POST", "/api/v1/auth/revoke"),
    ("POST", "/api/v1/auth/token"),  # no caller to check: it is how one becomes one
    ("GET", "/api/v1/events/stream"),  # a stream of answers: tests/web/test_live_feed.py
}


def test_every_operation_of_the_api_is_in_the_table(api: Api) -> None:
    """A new endpoint must say who may call it: as a row here, or in NOT_IN_THE_TABLE."""
    document = api.anonymous.get("/openapi.json").json()
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }

    def as_documented(path: str) -> str:  # "/api/v1/leads/{lead}?x=1" -> "/api/v1/leads/{x}"
        parts = path.split("?")[0].split("/")
        return "/".join("{}" if p.startswith("{") or p.isdigit() else p for p in parts)

    covered = {(method, as_documented(path)) for method, path, *_ in ENDPOINTS}
    covered |= {(method, as_documented(path)) for method, path in NOT_IN_THE_TABLE}
    missing = {(m, p) for m, p in operations if (m, as_documented(p)) not in covered}
    assert missing == set()
