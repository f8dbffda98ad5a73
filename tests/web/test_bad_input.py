"""Bad input through the API: one clear answer in one envelope, and nothing half-written.

422 `{"error": {"code": "invalid_input", "message", "details": [{"path", "message"}]}}` for
input the API cannot take, naming each wrong place; 404 for an unknown id, 409 with a reason
for a state conflict or a taken name, 413 for a body over the limit, 401 for bad credentials.
After every refused request, every table holds exactly what it held before.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from leadstreams.bootstrap import secret_key
from leadstreams.rules import FieldType
from leadstreams.schemas.fields import FieldCreate
from leadstreams.services import users, vocabulary
from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login
from tests.support.snapshot import database_rows
from tests.support.world import World, module_world

SCORE_AT_LEAST_50 = builders.SCORE_AT_LEAST_50
HUGE_ID = 10**20  # more than any database integer column holds

NEW_USER = {"email": "new@example.com", "name": "New", "role": "sales", "password": "x" * 12}
NEW_STREAM = {"name": "New", "rules": SCORE_AT_LEAST_50, "team_ids": ["{team}"]}
NEW_FIELD = {"name": "industry", "label": "Industry", "type": "string"}
EVENT = {"email": "visitor@example.com", "type": "page_visited"}
# A literal public address: checked without a DNS lookup, and never sent to by these tests.
NEW_WEBHOOK = {"url": "https://93.184.215.14/hooks", "events": ["lead.created"]}
BAD_RULES = {
    "all": [
        {"field": "leadscore", "op": "gte", "value": 50},
        {"field": "lead_score", "op": "contains", "value": "x"},
    ]
}
# `between` with exactly one invalid end: a 422 naming that end, never a 500.
ONE_BAD_END = {"field": "lead_score", "op": "between", "value": [10, "high"]}
DEEP: dict[str, Any] = {"a": 1}
for _ in range(20):
    DEEP = {"a": DEEP}  # 21 levels
BAD_RULE_PATHS = {"rules.all[0].field", "rules.all[1].op"}


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


# Each case: method, path under /api/v1, body, and the paths of the details that must come
# back (all of them). Paths name what the `world` fixture made ({lead}, {stream}, ...); the
# custom fields `nps` (number), `renewal` (datetime) and `plan` (enum free/pro) are declared.
BAD_INPUT: list[tuple[str, str, Any, set[str]]] = [
    # users and teams
    ("POST", "/users", {**NEW_USER, "email": "not-an-email"}, {"email"}),
    ("POST", "/users", {**NEW_USER, "role": "boss"}, {"role"}),
    ("POST", "/users", {**NEW_USER, "password": "short"}, {"password"}),
    ("POST", "/users", {**NEW_USER, "name": ""}, {"name"}),
    ("POST", "/users", {**NEW_USER, "teams": ["{team}"]}, {"teams"}),
    ("POST", "/users", {**NEW_USER, "team_ids": "{team}"}, {"team_ids"}),
    ("POST", "/users", {**NEW_USER, "team_ids": ["{team}", 999999]}, {"team_ids[1]"}),
    ("POST", "/users", {**NEW_USER, "team_ids": [HUGE_ID]}, {"team_ids[0]"}),
    ("POST", "/users", {**NEW_USER, "role": "marketing", "team_ids": ["{team}"]}, {"team_ids"}),
    ("PATCH", "/users/{sales_user}", {"role": "boss"}, {"role"}),
    ("PATCH", "/users/{sales_user}", {"active": "perhaps"}, {"active"}),
    ("PATCH", "/users/{sales_user}", {"email": "s@example.com"}, {"email"}),
    ("PATCH", "/users/{sales_user}", {"team_ids": [999999]}, {"team_ids[0]"}),
    ("PATCH", "/users/abc", {"name": "Sam"}, {"user_id"}),
    ("POST", "/teams", {"name": ""}, {"name"}),
    ("POST", "/teams", {"name": "x" * 201}, {"name"}),
    ("POST", "/teams", {"name": "Benelux", "members": []}, {"members"}),
    ("POST", "/teams", {"name": "Benelux", "member_ids": [999999]}, {"member_ids[0]"}),
    (
        "POST",
        "/teams",
        {"name": "Benelux", "member_ids": ["{sales_user}", "{admin_user}"]},
        {"member_ids[1]"},
    ),
    ("PATCH", "/teams/{team}", {"member_ids": ["x"]}, {"member_ids[0]"}),
    ("GET", f"/teams/{HUGE_ID}", None, {"team_id"}),
    # contacts
    ("POST", "/contacts", {"email": "not an email"}, {"email"}),
    ("POST", "/contacts", {"email": 5}, {"email"}),
    ("POST", "/contacts", {"first_name": "Ann"}, {"body"}),
    ("POST", "/contacts", {"email": "a@x.com", "country": "Sweden"}, {"country"}),
    ("POST", "/contacts", {"email": "a@x.com", "category": "vip"}, {"category"}),
    ("POST", "/contacts", {"email": "a@x.com", "lead_score": 2 * 10**9}, {"lead_score"}),
    ("POST", "/contacts", {"email": "a@x.com", "lead_score": "high"}, {"lead_score"}),
    ("POST", "/contacts", {"email": "a@x.com", "tags": "vip"}, {"tags"}),
    ("POST", "/contacts", {"email": "a@x.com", "tags": ["ok", ""]}, {"tags[1]"}),
    ("POST", "/contacts", {"email": "a@x.com", "colour": "red"}, {"colour"}),
    # the NUL character, which PostgreSQL cannot store, anywhere in a text
    ("POST", "/contacts", {"email": "a@x.com", "first_name": "A\x00"}, {"first_name"}),
    ("POST", "/contacts", {"email": "a@x.com", "tags": ["ok", "v\x00"]}, {"tags"}),
    ("PATCH", "/contacts/{contact}", {"fields": {"plan": "pro\x00"}}, {"fields"}),
    ("POST", "/events", {**EVENT, "properties": {"url": ["/a", "/b\x00"]}}, {"properties"}),
    ("POST", "/events", {**EVENT, "properties": {"u\x00rl": "/"}}, {"properties"}),
    ("POST", "/leads/{lead}/notes", {"text": "Hi\x00"}, {"text"}),
    # a lone UTF-16 surrogate, which JSON can write ("\ud800") but no database stores alike
    ("POST", "/events", {**EVENT, "properties": {"url": "/\ud800"}}, {"properties"}),
    ("POST", "/events", {**EVENT, "properties": {"u\udfffrl": "/"}}, {"properties"}),
    ("POST", "/events", {**EVENT, "properties": {"u": [{"\ud800": 1}]}}, {"properties"}),
    ("POST", "/events", {**EVENT, "event_id": "e\ud800"}, {"event_id"}),
    ("POST", "/contacts", {"email": "a@x.com", "first_name": "A\udc00"}, {"first_name"}),
    ("POST", "/contacts", {"email": "a@x.com", "tags": ["\ud83d"]}, {"tags"}),
    ("PATCH", "/contacts/{contact}", {"fields": {"plan": "pro\ud800"}}, {"fields"}),
    ("POST", "/contacts", {"email": "a@x.com", "\ud800": 1}, {"body"}),  # pydantic: no key
    ("POST", "/leads/{lead}/notes", {"text": "Hi\ud800"}, {"text"}),
    (
        "POST",
        "/streams",
        {**NEW_STREAM, "rules": {"field": "first_name", "op": "eq", "value": "\ud800"}},
        {"rules"},
    ),
    ("POST", "/teams", {"name": "B\ud800"}, {"name"}),
    # free-form JSON beyond its limits (schemas/common.py): deep, wide, long, large
    ("POST", "/events", {**EVENT, "properties": DEEP}, {"properties"}),
    ("POST", "/events", {**EVENT, "properties": {"k": list(range(1001))}}, {"properties"}),
    ("POST", "/events", {**EVENT, "properties": {str(i): i for i in range(1001)}}, {"properties"}),
    ("POST", "/events", {**EVENT, "properties": {"u": "x" * 10_001}}, {"properties"}),
    ("POST", "/events", {**EVENT, "properties": {"k" * 10_001: 1}}, {"properties"}),
    (
        "POST",
        "/events",
        {**EVENT, "properties": {str(i): "x" * 9000 for i in range(4)}},
        {"properties"},
    ),
    ("PATCH", "/contacts/{contact}", {"fields": DEEP}, {"fields"}),
    ("POST", "/contacts", {"email": "a@x.com", "fields": {"nps": "ten"}}, {"fields.nps"}),
    ("POST", "/contacts", {"email": "a@x.com", "fields": {"npss": 9}}, {"fields.npss"}),
    (
        "POST",
        "/contacts",
        {"email": "a@x.com", "fields": {"renewal": "next spring", "plan": "gold", "nps": 9}},
        {"fields.renewal", "fields.plan"},
    ),
    ("POST", "/contacts", {"email": "a@x.com", "fields": []}, {"fields"}),
    ("PATCH", "/contacts/{contact}", {"lead_score": "high"}, {"lead_score"}),
    ("PATCH", "/contacts/{contact}", {"id": 7}, {"id"}),
    (
        "PATCH",
        "/contacts/{contact}",
        {"first_name": "Eve", "fields": {"nps": 7, "renewal": "2026-02-30"}},
        {"fields.renewal"},
    ),
    ("GET", "/contacts?limit=0", None, {"limit"}),
    ("GET", "/contacts?limit=many", None, {"limit"}),
    ("GET", "/contacts?after_id=-1", None, {"after_id"}),
    ("GET", f"/contacts?after_id={HUGE_ID}", None, {"after_id"}),
    ("GET", "/contacts/abc", None, {"contact_id"}),
    ("GET", f"/contacts/{HUGE_ID}", None, {"contact_id"}),
    ("GET", "/contacts/{contact}/events?cursor=abc", None, {"cursor"}),
    ("GET", "/contacts/{contact}/events?cursor=0", None, {"cursor"}),
    ("GET", f"/contacts/{{contact}}/events?cursor={HUGE_ID}", None, {"cursor"}),
    ("GET", "/contacts/{contact}/events?limit=201", None, {"limit"}),
    # events
    ("POST", "/events", {"email": "a@x.com"}, {"type"}),
    ("POST", "/events", {**EVENT, "email": "not-an-email"}, {"email"}),
    ("POST", "/events", {**EVENT, "type": "Form Submitted"}, {"type"}),
    ("POST", "/events", {"type": "page_visited"}, {"body"}),
    ("POST", "/events", {**EVENT, "contact_id": "{contact}"}, {"body"}),
    ("POST", "/events", {**EVENT, "occurred_at": "yesterday"}, {"occurred_at"}),
    ("POST", "/events", {**EVENT, "occurred_at": "2026-02-30T10:00:00Z"}, {"occurred_at"}),
    ("POST", "/events", {**EVENT, "occurred_at": "9999-12-31T23:59:59-14:00"}, {"occurred_at"}),
    ("POST", "/events", {**EVENT, "occurred_at": "0001-01-01T00:00:00+14:00"}, {"occurred_at"}),
    ("POST", "/events", {**EVENT, "occurred_at": "0999-12-31T23:59:59Z"}, {"occurred_at"}),
    ("POST", "/events", {**EVENT, "properties": ["form"]}, {"properties"}),
    ("POST", "/events", {**EVENT, "event_id": ""}, {"event_id"}),
    ("POST", "/events", {**EVENT, "when": "now"}, {"when"}),
    ("POST", "/events", {"contact_id": 0, "type": "page_visited"}, {"contact_id"}),
    ("POST", "/events", {"contact_id": HUGE_ID, "type": "page_visited"}, {"contact_id"}),
    ("POST", "/events/batch", {"events": "all"}, {"events"}),
    ("POST", "/events/batch", {}, {"events"}),
    ("POST", "/events/batch", {"events": [EVENT], "atomic": True}, {"atomic"}),
    ("POST", "/events/batch", {"events": [{"type": "x"}] * 10_001}, {"events"}),
    # fields and rules
    ("POST", "/fields", {**NEW_FIELD, "name": "Industry"}, {"name"}),
    ("POST", "/fields", {**NEW_FIELD, "type": "currency"}, {"type"}),
    ("POST", "/fields", {**NEW_FIELD, "label": ""}, {"label"}),
    ("POST", "/fields", {**NEW_FIELD, "type": "enum"}, {"body"}),
    ("POST", "/fields", {**NEW_FIELD, "values": ["a"]}, {"body"}),
    ("POST", "/fields", {**NEW_FIELD, "values": [""], "type": "enum"}, {"values[0]"}),
    ("POST", "/fields", {**NEW_FIELD, "required": True}, {"required"}),
    ("POST", "/rules/validate", {"rules": BAD_RULES}, BAD_RULE_PATHS),
    ("POST", "/rules/validate", {"rules": []}, {"rules"}),
    ("POST", "/rules/validate", {}, {"rules"}),
    ("POST", "/rules/validate", {"rules": SCORE_AT_LEAST_50, "strict": 1}, {"strict"}),
    # streams
    ("POST", "/streams", {**NEW_STREAM, "rules": BAD_RULES}, BAD_RULE_PATHS),
    ("POST", "/streams", {**NEW_STREAM, "rules": {}}, {"rules"}),
    ("POST", "/streams", {**NEW_STREAM, "rules": ONE_BAD_END}, {"rules.value[1]"}),
    ("POST", "/streams", {**NEW_STREAM, "rules": "score > 50"}, {"rules"}),
    ("POST", "/streams", {**NEW_STREAM, "name": " "}, {"name"}),
    ("POST", "/streams", {**NEW_STREAM, "name": "x" * 201}, {"name"}),
    ("POST", "/streams", {**NEW_STREAM, "description": "x" * 2001}, {"description"}),
    ("POST", "/streams", {**NEW_STREAM, "team_ids": []}, {"team_ids"}),
    ("POST", "/streams", {**NEW_STREAM, "team_ids": ["Nordics"]}, {"team_ids[0]"}),
    ("POST", "/streams", {**NEW_STREAM, "team_ids": ["{team}", 999999]}, {"team_ids[1]"}),
    ("POST", "/streams", {**NEW_STREAM, "team_ids": [HUGE_ID]}, {"team_ids[0]"}),
    ("POST", "/streams", {**NEW_STREAM, "requalify_after_days": 0}, {"requalify_after_days"}),
    ("POST", "/streams", {**NEW_STREAM, "requalify_after_days": 3651}, {"requalify_after_days"}),
    ("POST", "/streams", {**NEW_STREAM, "active": True}, {"active"}),
    ("POST", "/streams", {"name": "", "rules": BAD_RULES, "team_ids": []}, {"name", "team_ids"}),
    ("POST", "/streams", [NEW_STREAM], {"body"}),
    ("POST", "/streams", None, {"body"}),
    ("PATCH", "/streams/{stream}", {"rules": BAD_RULES}, BAD_RULE_PATHS),
    ("PATCH", "/streams/{stream}", {"team_ids": [999999]}, {"team_ids[0]"}),
    ("PATCH", "/streams/{stream}", {"team_ids": []}, {"team_ids"}),
    ("PATCH", "/streams/{stream}", {"name": ""}, {"name"}),
    ("PATCH", "/streams/{stream}", {"requalify_after_days": -1}, {"requalify_after_days"}),
    ("PATCH", "/streams/{stream}", {"active": False}, {"active"}),
    ("GET", "/streams/abc", None, {"stream_id"}),
    ("POST", f"/streams/{HUGE_ID}/activate", None, {"stream_id"}),
    ("GET", "/streams/{stream}/preview?sample=101", None, {"sample"}),
    ("GET", "/streams/{stream}/preview?sample=-1", None, {"sample"}),
    ("GET", "/jobs/abc", None, {"job_id"}),
    # leads
    ("GET", "/leads?stage=closed", None, {"stage"}),
    ("GET", "/leads?hidden=maybe", None, {"hidden"}),
    ("GET", "/leads?category=vip", None, {"category"}),
    ("GET", "/leads?assignee=bob", None, {"assignee"}),
    ("GET", "/leads?assignee=%C2%B2", None, {"assignee"}),  # '²'.isdigit() is true
    ("GET", f"/leads?assignee={2**64}", None, {"assignee"}),
    ("GET", "/leads?assignee=" + "9" * 5000, None, {"assignee"}),
    ("GET", "/leads?created_from=9999-12-31T23:59:59-14:00", None, {"created_from"}),
    ("GET", "/leads?created_to=0001-01-01T00:00:00%2B14:00", None, {"created_to"}),
    ("GET", "/leads?q=a%00b", None, {"q"}),
    ("GET", "/leads?tag=a%00b", None, {"tag"}),
    ("GET", "/contacts?q=%00", None, {"q"}),
    ("GET", "/leads?stream_id=abc", None, {"stream_id"}),
    ("GET", f"/leads?team_id={HUGE_ID}", None, {"team_id"}),
    ("GET", "/leads?created_from=yesterday", None, {"created_from"}),
    ("GET", "/leads?created_to=2026-02-30", None, {"created_to"}),
    ("GET", "/leads?limit=0", None, {"limit"}),
    ("GET", "/leads?limit=201", None, {"limit"}),
    ("GET", "/leads?q=" + "x" * 201, None, {"q"}),
    ("GET", "/leads?cursor=garbage", None, {"cursor"}),
    ("GET", "/leads?cursor=" + _cursor("not a cursor"), None, {"cursor"}),
    ("GET", "/leads?cursor=" + _cursor(f"2026-03-01T09:00:00+00:00|{HUGE_ID}"), None, {"cursor"}),
    ("GET", "/leads/archive?stream_id=abc", None, {"stream_id"}),
    ("GET", f"/leads/{HUGE_ID}", None, {"lead_id"}),
    ("PATCH", "/leads/{lead}", {"stage": "closed"}, {"stage"}),
    ("PATCH", "/leads/{lead}", {"hidden": "maybe"}, {"hidden"}),
    ("PATCH", "/leads/{lead}", {"assignee_id": 999999}, {"assignee_id"}),
    ("PATCH", "/leads/{lead}", {"assignee_id": "me"}, {"assignee_id"}),
    ("PATCH", "/leads/{lead}", {"stage": "won", "notes": "x"}, {"notes"}),
    ("POST", "/leads/{lead}/notes", {"text": ""}, {"text"}),
    ("POST", "/leads/{lead}/notes", {"text": "   "}, {"text"}),
    ("POST", "/leads/{lead}/notes", {"text": "x" * 5001}, {"text"}),
    ("POST", "/leads/{lead}/notes", {}, {"text"}),
    ("POST", "/leads/{lead}/notes", {"text": "Hi", "pinned": True}, {"pinned"}),
    # webhooks: only http(s), no loopback, private, link-local or multicast target, known events
    ("POST", "/webhooks", {**NEW_WEBHOOK, "url": "ftp://93.184.215.14/in"}, {"url"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "url": "http://127.0.0.1:8000/"}, {"url"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "url": "http://10.1.2.3/hook"}, {"url"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "url": "http://169.254.169.254/"}, {"url"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "url": "http://[::1]/hook"}, {"url"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "url": "http://[::ffff:192.168.0.1]/"}, {"url"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "url": "http://224.0.0.1/"}, {"url"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "url": "https:///no-host"}, {"url"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "events": ["lead.exploded"]}, {"events[0]"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "events": []}, {"events"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "secret": "s3cret"}, {"secret"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "secret": "whsec_c2hvcnQ="}, {"secret"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "team_id": 999999}, {"team_id"}),
    ("POST", "/webhooks", {**NEW_WEBHOOK, "retries": 3}, {"retries"}),
    ("PATCH", "/webhooks/{webhook}", {"url": "http://192.168.1.10/"}, {"url"}),
    ("PATCH", "/webhooks/{webhook}", {"events": ["lead.created", "x"]}, {"events[1]"}),
    ("GET", "/webhooks/{webhook}/deliveries?status=lost", None, {"status"}),
    ("GET", "/webhooks/{webhook}/deliveries?cursor=abc", None, {"cursor"}),
]


def _case_id(method: str, path: str, body: Any, paths: set[str]) -> str:
    sent = path.replace(str(HUGE_ID), "HUGE")[:60]
    return f"{method} {sent} -> {','.join(sorted(paths))}"


def _populate(api: Api, ctx: Context) -> dict[str, int]:
    """Custom fields; an active stream with a lead; an inactive stream; a queued job."""
    for field in (
        FieldCreate(name="nps", label="NPS", type=FieldType.NUMBER),
        FieldCreate(name="renewal", label="Renewal", type=FieldType.DATETIME),
        FieldCreate(name="plan", label="Plan", type=FieldType.ENUM, values=["free", "pro"]),
    ):
        vocabulary.create_field(ctx, data=field)
    stream = builders.stream(ctx, SCORE_AT_LEAST_50, team_ids=[api.team_id], name="Hot leads")
    quiet = builders.stream(
        ctx,
        {"field": "company", "op": "contains", "value": "acme"},
        team_ids=[api.team_id],
        name="Quiet",
        active=False,
    )
    contact = builders.contact(ctx, "hot@example.com", lead_score=70, fields={"nps": 9})
    builders.event(ctx, "hot@example.com", "email_opened", event_id="opened-1")
    lead = api.admin.get("/api/v1/leads").json()["items"][0]["id"]
    emails = {user.email: user.id for user in users.list_users(ctx)}
    webhook = api.admin.post("/api/v1/webhooks", json=NEW_WEBHOOK).json()["id"]
    return {
        "webhook": webhook,
        "team": api.team_id,
        "other_team": api.other_team_id,
        "admin_user": emails["admin@example.com"],
        "sales_user": api.sales_id,
        "stream": stream,
        "quiet_stream": quiet,
        "contact": contact,
        "lead": lead,
    }


built, world = module_world(_populate)  # the world made once per module, reset per test


def _refused(answer: Any, status: int, code: str) -> dict[str, Any]:
    """The error of an answer in the one envelope, with its status and code."""
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    for detail in error["details"]:
        assert set(detail) == {"path", "message"} and detail["message"], detail
    return dict(error)


@pytest.mark.parametrize(
    ("method", "path", "body", "paths"),
    [pytest.param(*case, id=_case_id(*case)) for case in BAD_INPUT],
)
def test_bad_input_is_refused_with_the_path_of_every_mistake_and_changes_nothing(
    world: World, method: str, path: str, body: Any, paths: set[str]
) -> None:
    before = database_rows(world.ctx.database.engine)
    # Written as JSON writes it by default (ASCII, "\\ud800" escaped): what a client sends.
    content = None if body is None else json.dumps(world.fill(body))
    headers = {"content-type": "application/json"}
    url = f"/api/v1{world.fill(path)}"
    answer = world.api.admin.request(method, url, content=content, headers=headers)
    error = _refused(answer, 422, "invalid_input")
    assert {detail["path"] for detail in error["details"]} == paths
    assert world.unchanged_since(before), "a refused request wrote something"


def test_a_body_that_is_not_json_is_refused_as_a_whole(world: World) -> None:
    answer = world.api.admin.post(
        "/api/v1/streams", content=b'{"name": Hot', headers={"content-type": "application/json"}
    )
    error = _refused(answer, 422, "invalid_input")
    assert [detail["path"] for detail in error["details"]] == ["body"]


def test_the_rule_validator_reads_every_mistake_back_in_plain_words(world: World) -> None:
    answer = world.api.marketing.post("/api/v1/rules/validate", json={"rules": BAD_RULES})
    details = _refused(answer, 422, "invalid_input")["details"]
    assert details == [
        {
            "path": "rules.all[0].field",
            "message": "unknown field 'leadscore' (did you mean 'lead_score'?)",
        },
        {
            "path": "rules.all[1].op",
            "message": "operator 'contains' does not apply to number field 'lead_score'",
        },
    ]
    valid = world.api.marketing.post("/api/v1/rules/validate", json={"rules": SCORE_AT_LEAST_50})
    assert valid.json() == {"valid": True, "text": "Lead score is at least 50"}


def test_an_event_for_an_unknown_contact_id_is_404_naming_contact_id(world: World) -> None:
    before = database_rows(world.ctx.database.engine)
    answer = world.api.marketing.post(
        "/api/v1/events", json={"contact_id": 999999, "type": "page_visited"}
    )
    error = _refused(answer, 404, "not_found")
    assert [detail["path"] for detail in error["details"]] == ["contact_id"]
    assert world.unchanged_since(before)


TAKEN = "exists already"
# Each case: method, path under /api/v1, body, and words the message must say.
CONFLICTS: dict[str, tuple[str, str, dict[str, Any] | None, str]] = {
    "stream name in another case": ("POST", "/streams", {**NEW_STREAM, "name": "hot LEADS"}, TAKEN),
    "stream renamed to a taken name": (
        "PATCH",
        "/streams/{quiet_stream}",
        {"name": " Hot leads "},
        TAKEN,
    ),
    "team name": ("POST", "/teams", {"name": "Nordics"}, TAKEN),
    "team renamed to a taken name": ("PATCH", "/teams/{other_team}", {"name": "Nordics"}, TAKEN),
    "user e-mail in another case": (
        "POST",
        "/users",
        {**NEW_USER, "email": "Sales@Example.com"},
        TAKEN,
    ),
    "custom field name": ("POST", "/fields", {**NEW_FIELD, "name": "nps"}, TAKEN),
    "built-in field name": ("POST", "/fields", {**NEW_FIELD, "name": "lead_score"}, TAKEN),
    "clearing an active stream": ("POST", "/streams/{stream}/clear", None, "deactivate"),
    "deleting an active stream": ("DELETE", "/streams/{stream}", None, "deactivate"),
    "deleting a team an active stream delivers to": (
        "DELETE",
        "/teams/{team}",
        None,
        "active stream",
    ),
    "fetching the history of an inactive stream": (
        "POST",
        "/streams/{quiet_stream}/fetch-history",
        None,
        "needs the stream to be active",
    ),
}


@pytest.mark.parametrize("case", CONFLICTS)
def test_a_taken_name_or_a_state_conflict_is_409_saying_why_and_nothing_happens(
    world: World, case: str
) -> None:
    method, path, body, reason = CONFLICTS[case]
    before = database_rows(world.ctx.database.engine)
    answer = world.api.admin.request(method, f"/api/v1{world.fill(path)}", json=world.fill(body))
    assert reason in _refused(answer, 409, "conflict")["message"]
    assert world.unchanged_since(before), "a refused request wrote something"


def test_fetching_history_while_a_fetch_runs_is_409_and_starts_no_second_job(
    world: World,
) -> None:
    path = f"/api/v1/streams/{world.ids['stream']}/fetch-history"
    first = world.api.marketing.post(path)
    assert first.status_code == 202, first.text
    before = database_rows(world.ctx.database.engine)
    again = world.api.marketing.post(path)
    assert "already running" in _refused(again, 409, "conflict")["message"]
    assert world.unchanged_since(before)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/events", '{"email": "a@x.com", "type": "page_visited", "properties": {"s": NaN}}',
         "properties"),
        ("/contacts", '{"email": "a@x.com", "fields": {"nps": -Infinity}}', "fields"),
        ("/streams", '{"name": "N", "rules": {"field": "lead_score", "op": "gte", '
         '"value": Infinity}, "team_ids": [1]}', "rules"),
    ],
)  # fmt: skip
def test_a_number_that_is_not_finite_is_refused_naming_its_field(
    world: World, path: str, body: str, field: str
) -> None:
    """Python's JSON reader takes NaN and Infinity, which no JSON column can hold."""
    before = database_rows(world.ctx.database.engine)
    headers = {"content-type": "application/json"}
    answer = world.api.admin.post(f"/api/v1{path}", content=body, headers=headers)
    error = _refused(answer, 422, "invalid_input")
    assert [d["path"] for d in error["details"]] == [field]
    assert "finite" in error["details"][0]["message"]
    assert world.unchanged_since(before)


def test_a_batch_reports_each_item_and_keeps_the_good_ones(world: World) -> None:
    events = [
        {"event_id": "visit-1", "email": "new@example.com", "type": "page_visited"},
        {"event_id": "visit-2", "email": "bad@example.com", "type": "Page Visited"},
        {"event_id": "visit-1", "email": "new@example.com", "type": "page_visited"},
        {"event_id": "opened-1", "email": "hot@example.com", "type": "email_opened"},
        {"event_id": "visit-3", "contact_id": 999999, "type": "page_visited"},
        "not an event",
        {"event_id": "visit-4", "contact_id": world.ids["contact"], "type": "page_visited"},
        {"event_id": "visit-5", "email": "not-an-email", "type": "page_visited"},
        {
            "event_id": "visit-6",
            "email": "new@example.com",
            "type": "page_visited",
            "properties": {"url": "/\x00"},
        },
    ]
    answer = world.api.marketing.post("/api/v1/events/batch", json={"events": events})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "created"),
        (1, "error"),
        (2, "duplicate"),
        (3, "duplicate"),
        (4, "error"),
        (5, "error"),
        (6, "created"),
        (7, "error"),
        (8, "error"),
    ]
    assert [d["path"] for d in results[1]["details"]] == ["type"]
    assert [d["path"] for d in results[8]["details"]] == ["properties"]
    assert [d["path"] for d in results[4]["details"]] == ["contact_id"]
    assert [d["path"] for d in results[7]["details"]] == ["email"]
    assert results[2]["id"] == results[0]["id"]
    timeline = world.api.marketing.get(f"/api/v1/contacts/{results[0]['contact_id']}/events")
    assert [event["event_id"] for event in timeline.json()["items"]] == ["visit-1"]
    hot = world.api.marketing.get(f"/api/v1/contacts/{world.ids['contact']}/events").json()
    assert [event["event_id"] for event in hot["items"]] == ["visit-4", "opened-1"]
    found = world.api.marketing.get("/api/v1/contacts?q=bad@example.com").json()
    assert found == [], "an invalid item created its contact"


def _too_large(answer: Any) -> None:
    error = _refused(answer, 413, "too_large")
    assert "limit" in error["message"]


def test_a_body_over_the_limit_is_413_whether_its_length_is_declared_or_not(
    world: World,
) -> None:
    limit = world.ctx.settings.max_body_bytes
    headers = {"content-type": "application/json"}
    before = database_rows(world.ctx.database.engine)
    declared = world.api.marketing.post(
        "/api/v1/events/batch", content=b" " * (limit + 1), headers=headers
    )
    _too_large(declared)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what streams in
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    _too_large(world.api.marketing.post("/api/v1/events/batch", content=chunks(), headers=headers))
    assert world.unchanged_since(before)


def _login(world: World, username: str, password: str) -> Any:
    form = {"username": username, "password": password}
    return world.api.anonymous.post("/api/v1/auth/token", data=form)


def test_logging_in_with_wrong_credentials_is_401(world: World) -> None:
    assert _login(world, "sales@example.com", PASSWORD).status_code == 200
    assert _login(world, "SALES@example.com ", PASSWORD).status_code == 200
    for username, password in [
        ("sales@example.com", "wrong horse"),
        ("nobody@example.com", PASSWORD),
        ("admin@example.com", PASSWORD.upper()),
    ]:
        answer = _login(world, username, password)
        _refused(answer, 401, "unauthenticated")
        assert answer.headers["www-authenticate"] == "Bearer"


def test_logging_in_without_a_password_is_422_naming_it(world: World) -> None:
    for form in (
        {"username": "sales@example.com"},
        {"username": "sales@example.com", "password": ""},
    ):
        answer = world.api.anonymous.post("/api/v1/auth/token", data=form)
        error = _refused(answer, 422, "invalid_input")
        assert [detail["path"] for detail in error["details"]] == ["password"]


def test_a_user_name_no_database_can_compare_is_a_wrong_login_not_a_crash(world: World) -> None:
    for name in ("sales\x00@example.com", "\x00"):  # (a form cannot carry a lone surrogate)
        form = {"username": name, "password": PASSWORD}
        answer = world.api.anonymous.post("/api/v1/auth/token", data=form)
        assert "wrong e-mail or password" in _refused(answer, 401, "unauthenticated")["message"]
        page = post_login(world.api.anonymous, {"email": name, "password": PASSWORD})
        assert page.status_code == 401 and "Wrong e-mail or password" in page.text


def _token(world: World, *, issued_seconds_ago: int = 0, payload: Any = None) -> str:
    class IssuedEarlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - issued_seconds_ago

    serializer = URLSafeTimedSerializer(
        secret_key(world.ctx), salt="leadstreams.api-token", signer=IssuedEarlier
    )
    claims = {"uid": world.ids["sales_user"], "cv": 1, "jti": "a" * 32}
    return str(serializer.dumps(payload or claims))


def _me(world: World, authorization: str) -> Any:
    return world.api.anonymous.get("/api/v1/me", headers={"Authorization": authorization})


def test_an_expired_tampered_or_foreign_token_is_401(world: World) -> None:
    fresh = _token(world)
    assert _me(world, f"Bearer {fresh}").status_code == 200
    ttl = world.ctx.settings.token_ttl_seconds
    expired = _me(world, f"Bearer {_token(world, issued_seconds_ago=ttl + 60)}")
    assert "expired" in _refused(expired, 401, "unauthenticated")["message"]
    head, _, signature = fresh.rpartition(".")  # the first character is all signature bits
    tampered = f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    # Signed with our key, but not what a token of ours holds.
    odd = [
        _token(world, payload=p)
        for p in ([1], "x", {"uid": 1}, {"uid": "1", "cv": 1, "jti": "a"},
                  {"uid": 1, "cv": 1.5, "jti": "a"}, {"uid": 1, "cv": 1, "jti": 7})
    ]  # fmt: skip
    for authorization in [
        *(f"Bearer {token}" for token in odd),
        f"Bearer {tampered}",
        "Bearer not-a-token",
        "Bearer ",
        f"Basic {fresh}",
        fresh,
    ]:
        _refused(_me(world, authorization), 401, "unauthenticated")


def test_the_token_of_a_disabled_user_is_401(world: World) -> None:
    assert world.api.sales.get("/api/v1/me").status_code == 200
    disabled = world.api.admin.patch(
        f"/api/v1/users/{world.ids['sales_user']}", json={"active": False}
    )
    assert disabled.status_code == 200, disabled.text
    _refused(world.api.sales.get("/api/v1/leads"), 401, "unauthenticated")
    _refused(_login(world, "sales@example.com", PASSWORD), 401, "unauthenticated")


# api.md's resource table, as built so far. Webhooks, score sets and contact scores are not
# built yet: add them here when they are.
CONTRACT = """
    POST /users; GET /users; GET /users/{id}; PATCH /users/{id}
    POST /teams; GET /teams; PATCH /teams/{id}; DELETE /teams/{id}
    POST /contacts; GET /contacts/{id}; PATCH /contacts/{id}; GET /contacts
    GET /contacts/{id}/events
    POST /events; POST /events/batch; GET /events/stream
    GET /fields; POST /fields; POST /rules/validate
    POST /streams; GET /streams; GET /streams/{id}; PATCH /streams/{id}; DELETE /streams/{id}
    POST /streams/{id}/activate; POST /streams/{id}/deactivate
    POST /streams/{id}/fetch-history; POST /streams/{id}/clear
    GET /streams/{id}/preview; GET /streams/{id}/history
    GET /jobs/{id}
    GET /leads; GET /leads/{id}; PATCH /leads/{id}
    POST /leads/{id}/notes; GET /leads/{id}/notes; GET /leads/archive
    POST /auth/token
"""


def _routes(openapi: dict[str, Any]) -> set[str]:
    """'GET /leads/{}' for each operation under /api/v1, path parameters unnamed."""
    routes = set()
    for path, operations in openapi["paths"].items():
        unnamed = "/".join("{}" if part.startswith("{") else part for part in path.split("/"))
        routes |= {f"{method.upper()} {unnamed.removeprefix('/api/v1')}" for method in operations}
    return routes


def test_the_openapi_document_lists_every_built_path_of_the_contract(world: World) -> None:
    answer = world.api.anonymous.get("/openapi.json")
    assert answer.status_code == 200
    built = _routes(answer.json())
    expected = {
        " ".join(item.split()).replace("{id}", "{}")
        for line in CONTRACT.strip().splitlines()
        for item in line.split(";")
    }
    assert expected - built == set(), "a route of api.md is missing or was renamed"
    assert world.api.anonymous.get("/docs").status_code == 200
