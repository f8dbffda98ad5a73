"""Product spec section 3, rule by rule: each test is named after the rule it checks.

Every test runs on SQLite and on PostgreSQL (the `ctx` and `api` fixtures are parametrized),
through the services as the API and the jobs call them, with a clock that moves only when told.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import RowMapping, func, select

from leadstreams.clock import FixedClock
from leadstreams.domain.stages import Stage
from leadstreams.domain.topics import SEEN_BY, Topic
from leadstreams.errors import Conflict, NotFound
from leadstreams.schemas.contacts import ContactCreate
from leadstreams.schemas.events import EventCreate
from leadstreams.schemas.leads import LeadRead, LeadUpdate
from leadstreams.schemas.streams import StreamCreate, StreamUpdate
from leadstreams.services import auth, contacts, fetch_history, ingest, leads, streams
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.services.leads import LeadQuery
from leadstreams.services.matching import NewMatch
from leadstreams.store import jobs as jobs_store
from leadstreams.store.tables import events, jobs, matches, outbox
from tests.support import builders
from tests.support.api import Api
from tests.support.service import START

SCORE_50 = builders.SCORE_AT_LEAST_50
CONTACT_FORM = builders.CONTACT_FORM
NEWSLETTER = {"form": "Newsletter"}
CONTACT_US = {"form": "Contact us"}


# --- the words the tests are written in --------------------------------------------------


def _advance(ctx: Context, **delta: float) -> None:
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(**delta)


def _score(ctx: Context, email: str, score: int) -> list[NewMatch]:
    """Create or update a contact with this lead score; the matches that change made."""
    _, change = contacts.upsert_contact(ctx, data=ContactCreate(email=email, lead_score=score))
    return change.matches


def _form(ctx: Context, email: str, properties: dict[str, Any], **extra: Any) -> list[NewMatch]:
    return builders.event(ctx, email, "form_submitted", properties=properties, **extra).matches


def _admin(ctx: Context) -> Principal:
    return auth.principal(ctx, user_id=builders.user(ctx, "admin@example.com", role="admin"))


def _sales(ctx: Context, email: str, team_id: int) -> Principal:
    return auth.principal(ctx, user_id=builders.user(ctx, email, team_ids=[team_id]))


def _board(ctx: Context, who: Principal, **filters: Any) -> list[LeadRead]:
    return leads.list_leads(ctx, who=who, query=LeadQuery(**filters)).items


def _emails(ctx: Context, who: Principal, **filters: Any) -> list[str]:
    return sorted(lead.contact.email for lead in _board(ctx, who, **filters))


def _move(ctx: Context, who: Principal, lead_id: int, stage: str) -> LeadRead:
    return leads.update_lead(ctx, who=who, lead_id=lead_id, data=LeadUpdate(stage=Stage(stage)))


def _matches(ctx: Context, stream_id: int) -> list[RowMapping]:
    """Every match the stream ever made, cleared and superseded ones included."""
    query = select(matches).where(matches.c.stream_id == stream_id).order_by(matches.c.id)
    with ctx.uow(read_only=True) as uow:
        return list(uow.connection.execute(query).mappings())


def _deliveries(ctx: Context) -> list[tuple[str, int, dict[str, Any]]]:
    """The delivery events of the outbox, oldest first: (topic, lead id, payload)."""
    query = select(outbox.c.topic, outbox.c.lead_id, outbox.c.payload).order_by(outbox.c.id)
    query = query.where(outbox.c.topic.in_([topic.value for topic in Topic]))
    with ctx.uow(read_only=True) as uow:
        return [(row.topic, row.lead_id, row.payload) for row in uow.connection.execute(query)]


def _count(ctx: Context, table: Any) -> int:
    with ctx.uow(read_only=True) as uow:
        return int(uow.connection.scalar(select(func.count()).select_from(table)) or 0)


def _claim(ctx: Context) -> RowMapping | None:
    with ctx.uow() as uow:
        job = jobs_store.claim(
            uow.connection, worker="test", now=ctx.clock.now(), stale_after=timedelta(seconds=60)
        )
        uow.commit()
    return job


def _run_jobs(ctx: Context) -> list[str]:
    """Work every claimable job in this process, as the worker would; their final statuses."""
    statuses = []
    while (job := _claim(ctx)) is not None:
        statuses.append(fetch_history.run_fetch_history(ctx, job))
    return statuses


def _fetch_history(ctx: Context, stream_id: int, user_id: int | None = None) -> dict[str, Any]:
    """Start a fetch-history job, run it to the end, and return it as `GET /jobs/{id}` does."""
    job = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=user_id)
    assert _run_jobs(ctx) == ["done"]
    return fetch_history.get_job(ctx, job_id=job.id)


def _deactivate(ctx: Context, stream_id: int, user_id: int | None = None) -> None:
    streams.set_active(ctx, stream_id=stream_id, active=False, user_id=user_id)


def _activate(ctx: Context, stream_id: int, user_id: int | None = None) -> None:
    streams.set_active(ctx, stream_id=stream_id, active=True, user_id=user_id)


# --- rule 1: create ----------------------------------------------------------------------


def test_rule_1_a_new_stream_is_inactive_and_needs_name_rules_and_an_existing_team(
    api: Api,
) -> None:
    def create(body: dict[str, Any]) -> Any:
        return api.marketing.post("/api/v1/streams", json=body)

    def paths(answer: Any) -> dict[str, str]:
        assert answer.status_code == 422, answer.text
        return {d["path"]: d["message"] for d in answer.json()["error"]["details"]}

    created = create({"name": "Hot leads", "rules": SCORE_50, "team_ids": [api.team_id]})
    assert created.status_code == 201, created.text
    assert created.json()["active"] is False
    assert created.json()["activated_at"] is None
    lead = api.marketing.post("/api/v1/contacts", json={"email": "a@x.com", "lead_score": 90})
    assert lead.status_code == 201
    assert api.admin.get("/api/v1/leads").json()["items"] == []  # inactive: no lead

    assert set(paths(create({"name": " ", "team_ids": []}))) == {"name", "rules", "team_ids"}
    no_rule = create({"name": "Empty", "rules": {"all": []}, "team_ids": [api.team_id]})
    assert set(paths(no_rule)) == {"rules.all"}
    unknown_team = create({"name": "Lost", "rules": SCORE_50, "team_ids": [api.team_id, 999]})
    assert paths(unknown_team) == {"team_ids[1]": "no team with id 999"}
    two_mistakes = {
        "all": [
            {"field": "leadscore", "op": "gte", "value": 50},
            {"field": "lead_score", "op": "contains", "value": "5"},
        ]
    }
    invalid = create({"name": "Bad", "rules": two_mistakes, "team_ids": [api.team_id]})
    assert paths(invalid) == {
        "rules.all[0].field": "unknown field 'leadscore' (did you mean 'lead_score'?)",
        "rules.all[1].op": "operator 'contains' does not apply to number field 'lead_score'",
    }
    assert [s["name"] for s in api.marketing.get("/api/v1/streams").json()] == ["Hot leads"]


# --- rule 2: active means live -----------------------------------------------------------


def test_rule_2_an_event_satisfying_the_type_and_where_of_an_event_condition_triggers(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, CONTACT_FORM, team_ids=[team_id], name="Contact form")
    twice = {**CONTACT_FORM, "min_count": 2}
    twice_id = builders.stream(ctx, twice, team_ids=[team_id], name="Twice")

    assert builders.event(ctx, "a@x.com", "email_opened").matches == []  # another type
    assert _form(ctx, "a@x.com", NEWSLETTER) == []  # the type, but not the `where`
    first = builders.event(ctx, "a@x.com", "form_submitted", properties=CONTACT_US)
    assert [m.stream_id for m in first.matches] == [stream_id]  # evaluated; twice: 1 of 2
    second = _form(ctx, "a@x.com", CONTACT_US)
    assert [m.stream_id for m in second] == [twice_id]  # count aside for the trigger, not the match

    (match,) = _matches(ctx, stream_id)
    assert match["origin"] == "live"
    assert match["trigger"] == {
        "kind": "event",
        "event_id": first.event_id,
        "type": "form_submitted",
    }
    assert match["explanation"]["held"] is True


def test_rule_2_a_newsletter_form_does_not_trigger_a_contact_us_stream(ctx: Context) -> None:
    """Not even for a contact who sent the contact form a year ago (and the rule has no window)."""
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, CONTACT_FORM, team_ids=[team_id], active=False)
    _form(ctx, "a@x.com", CONTACT_US, occurred_at=START - timedelta(days=365))
    _activate(ctx, stream_id)
    assert streams.preview(ctx, stream_id=stream_id, sample=0).matching == 1  # rules hold

    assert _form(ctx, "a@x.com", NEWSLETTER) == []
    assert builders.event(ctx, "a@x.com", "email_opened").matches == []
    assert _matches(ctx, stream_id) == []
    assert [m.stream_id for m in _form(ctx, "a@x.com", CONTACT_US)] == [stream_id]


def test_rule_2_a_change_the_rules_do_not_read_never_makes_a_match(ctx: Context) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id], active=False)
    builders.contact(ctx, "a@x.com", lead_score=80)
    _activate(ctx, stream_id)

    assert builders.event(ctx, "a@x.com", "email_opened").matches == []
    assert _score(ctx, "a@x.com", 80) == []  # written again, not changed
    _, renamed = contacts.upsert_contact(ctx, data=ContactCreate(email="a@x.com", first_name="Ada"))
    assert renamed.matches == []
    assert _matches(ctx, stream_id) == []

    (match,) = _score(ctx, "a@x.com", 81)
    assert match.stream_id == stream_id and match.lead_created
    (row,) = _matches(ctx, stream_id)
    assert row["trigger"]["kind"] == "contact_update"
    assert "lead_score" in row["trigger"]["fields"]


def test_rule_2_changes_made_while_the_stream_was_inactive_never_make_a_match(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    score_id = builders.stream(ctx, SCORE_50, team_ids=[team_id], name="Score")
    form_id = builders.stream(ctx, CONTACT_FORM, team_ids=[team_id], name="Form")
    builders.contact(ctx, "a@x.com", lead_score=10)
    _deactivate(ctx, score_id)
    _deactivate(ctx, form_id)

    assert _score(ctx, "a@x.com", 90) == []
    assert _score(ctx, "new@x.com", 90) == []  # a contact created while inactive
    assert _form(ctx, "a@x.com", CONTACT_US) == []
    _activate(ctx, score_id)
    _activate(ctx, form_id)
    builders.event(ctx, "a@x.com", "email_opened")  # evaluated later: still nothing
    assert _matches(ctx, score_id) == [] and _matches(ctx, form_id) == []
    assert _emails(ctx, _admin(ctx)) == []

    assert [m.stream_id for m in _score(ctx, "a@x.com", 91)] == [score_id]  # a new change does


def test_rule_2_the_time_a_change_arrives_counts_not_the_events_occurred_at(ctx: Context) -> None:
    team_id = builders.team(ctx)
    recent_form = {**CONTACT_FORM, "within_days": 30}
    stream_id = builders.stream(ctx, recent_form, team_ids=[team_id])  # activated at START

    before_activation = START - timedelta(days=20)
    made = _form(ctx, "a@x.com", CONTACT_US, occurred_at=before_activation)
    assert [m.stream_id for m in made] == [stream_id]
    out_of_window = START - timedelta(days=40)
    assert _form(ctx, "b@x.com", CONTACT_US, occurred_at=out_of_window) == []
    assert _emails(ctx, _admin(ctx)) == ["a@x.com"]


def test_rule_2_a_users_stage_change_triggers_a_lead_stage_stream_but_creating_a_lead_does_not(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    seller = _sales(ctx, "sales@x.com", team_id)
    builders.stream(ctx, SCORE_50, team_ids=[team_id], name="Score")
    new_leads = {"field": "lead_stage", "op": "eq", "value": "mql"}
    new_id = builders.stream(ctx, new_leads, team_ids=[team_id], name="New leads")
    worked = {"field": "lead_stage", "op": "eq", "value": "sql"}
    worked_id = builders.stream(ctx, worked, team_ids=[team_id], name="Worked")

    builders.contact(ctx, "a@x.com", lead_score=0)
    (made,) = _score(ctx, "a@x.com", 60)  # the lead is created in mql...
    assert _matches(ctx, new_id) == []  # ...and that is not a change of lead_stage

    lead = _move(ctx, seller, made.lead_id, "sql")
    assert [m.stream_name for m in lead.matches] == ["Score", "Worked"]
    (row,) = _matches(ctx, worked_id)
    assert row["lead_id"] == made.lead_id
    assert row["trigger"] == {"kind": "contact_update", "fields": ["lead_stage"]}
    _move(ctx, seller, made.lead_id, "mql")  # a user's move back to mql is a change too
    assert [m["lead_id"] for m in _matches(ctx, new_id)] == [made.lead_id]


# --- rule 3: at most one match per stream and contact ------------------------------------


def test_rule_3_a_contact_matches_a_stream_at_most_once(ctx: Context) -> None:
    team_id = builders.team(ctx)
    seller = _sales(ctx, "sales@x.com", team_id)
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id])
    (made,) = _score(ctx, "a@x.com", 60)

    assert _score(ctx, "a@x.com", 70) == []
    _move(ctx, seller, made.lead_id, "won")  # closed, but the stream never requalifies
    _advance(ctx, days=400)
    assert _score(ctx, "a@x.com", 80) == []
    assert _fetch_history(ctx, stream_id).matches_created == 0
    assert len(_matches(ctx, stream_id)) == 1


def test_rule_3_with_requalify_after_days_a_closed_lead_whose_match_is_older_matches_again(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    seller = _sales(ctx, "sales@x.com", team_id)
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id], requalify_after_days=30)
    (first,) = _score(ctx, "closed@x.com", 60)
    (kept_open,) = _score(ctx, "open@x.com", 60)
    _advance(ctx, days=1)
    _move(ctx, seller, first.lead_id, "won")

    _advance(ctx, days=9)  # closed, but its match is only 10 days old
    assert _score(ctx, "closed@x.com", 61) == []
    _advance(ctx, days=21)  # 31 days old now
    assert _score(ctx, "open@x.com", 61) == []  # old enough, but its lead is open
    (again,) = _score(ctx, "closed@x.com", 62)
    assert again.lead_created and again.lead_id != first.lead_id

    fresh = leads.get_lead(ctx, who=seller, lead_id=again.lead_id)
    assert fresh.stage == "mql" and fresh.closed_at is None
    earlier = leads.get_lead(ctx, who=seller, lead_id=first.lead_id)
    assert earlier.stage == "won" and len(earlier.matches) == 1
    rows = _matches(ctx, stream_id)
    assert [(r["lead_id"], r["superseded_at"] is not None) for r in rows] == [
        (first.lead_id, True),
        (kept_open.lead_id, False),
        (again.lead_id, False),
    ]


def test_rule_3_fetch_history_requalifies_by_the_same_rule(ctx: Context) -> None:
    team_id = builders.team(ctx)
    seller = _sales(ctx, "sales@x.com", team_id)
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id], requalify_after_days=30)
    (old,) = _score(ctx, "old@x.com", 60)
    _score(ctx, "open@x.com", 60)
    _advance(ctx, days=20)
    (recent,) = _score(ctx, "recent@x.com", 60)
    for closed in (old, recent):
        _move(ctx, seller, closed.lead_id, "lost")
    _advance(ctx, days=11)  # old: 31 days, recent: 11 days

    assert _fetch_history(ctx, stream_id).matches_created == 1
    (lead,) = _board(ctx, seller, q="old@x.com", stage="mql")
    assert lead.id != old.lead_id
    assert lead.matches[0].origin == "history"
    assert _emails(ctx, seller, stage="mql") == ["old@x.com", "open@x.com"]
    assert _fetch_history(ctx, stream_id).matches_created == 0  # and only once


# --- rule 4: one open lead per contact ---------------------------------------------------


def test_rule_4_a_second_streams_match_joins_the_open_lead_and_its_teams_see_it(
    ctx: Context,
) -> None:
    north, south, east = (builders.team(ctx, name) for name in ("North", "South", "East"))
    sees_north = _sales(ctx, "n@x.com", north)
    sees_south = _sales(ctx, "s@x.com", south)
    sees_east = _sales(ctx, "e@x.com", east)
    score_id = builders.stream(ctx, SCORE_50, team_ids=[north], name="Score")
    form_id = builders.stream(ctx, CONTACT_FORM, team_ids=[south], name="Form")

    (first,) = _score(ctx, "a@x.com", 60)
    assert first.lead_created
    assert _emails(ctx, sees_north) == ["a@x.com"]
    assert _emails(ctx, sees_south) == [] and _emails(ctx, sees_east) == []

    (second,) = _form(ctx, "a@x.com", CONTACT_US)
    assert (second.lead_id, second.lead_created) == (first.lead_id, False)
    lead = leads.get_lead(ctx, who=sees_south, lead_id=first.lead_id)
    assert lead.team_ids == sorted([north, south])
    assert [m.stream_id for m in lead.matches] == [score_id, form_id]
    assert _emails(ctx, sees_north) == _emails(ctx, sees_south) == ["a@x.com"]
    assert _emails(ctx, sees_east) == []
    with pytest.raises(NotFound):
        leads.get_lead(ctx, who=sees_east, lead_id=first.lead_id)
    admin = _admin(ctx)
    assert _emails(ctx, admin, team_id=south) == ["a@x.com"]
    assert _emails(ctx, admin, stream_id=score_id) == ["a@x.com"]


def test_rule_4_a_match_after_the_lead_closed_makes_a_new_lead(ctx: Context) -> None:
    north, south = builders.team(ctx, "North"), builders.team(ctx, "South")
    seller = _sales(ctx, "n@x.com", north)
    builders.stream(ctx, SCORE_50, team_ids=[north], name="Score")
    builders.stream(ctx, CONTACT_FORM, team_ids=[south], name="Form")
    (first,) = _score(ctx, "a@x.com", 60)
    _move(ctx, seller, first.lead_id, "lost")

    (second,) = _form(ctx, "a@x.com", CONTACT_US)
    assert second.lead_created and second.lead_id != first.lead_id
    admin = _admin(ctx)
    assert leads.get_lead(ctx, who=admin, lead_id=second.lead_id).team_ids == [south]
    assert leads.get_lead(ctx, who=admin, lead_id=first.lead_id).team_ids == [north]


def test_rule_4_the_api_shows_a_lead_to_the_union_of_its_streams_teams(api: Api) -> None:
    def stream(name: str, rules: dict[str, Any], team_id: int) -> None:
        body = {"name": name, "rules": rules, "team_ids": [team_id]}
        stream_id = api.marketing.post("/api/v1/streams", json=body).json()["id"]
        assert api.marketing.post(f"/api/v1/streams/{stream_id}/activate").status_code == 200

    stream("Score", SCORE_50, api.team_id)
    stream("Form", CONTACT_FORM, api.other_team_id)
    api.marketing.post("/api/v1/contacts", json={"email": "a@x.com", "lead_score": 60})
    (lead,) = api.sales.get("/api/v1/leads").json()["items"]
    assert lead["team_ids"] == [api.team_id]
    assert api.other_sales.get(f"/api/v1/leads/{lead['id']}").status_code == 404

    event = {"email": "a@x.com", "type": "form_submitted", "properties": CONTACT_US}
    posted = api.marketing.post("/api/v1/events", json=event)
    assert posted.json()["matches"][0]["lead_id"] == lead["id"]
    seen = api.other_sales.get(f"/api/v1/leads/{lead['id']}")
    assert seen.status_code == 200
    assert seen.json()["team_ids"] == sorted([api.team_id, api.other_team_id])
    assert [item["id"] for item in api.other_sales.get("/api/v1/leads").json()["items"]] == [
        lead["id"]
    ]


# --- rule 5: stages ----------------------------------------------------------------------


def test_rule_5_any_stage_move_is_allowed_recorded_and_won_or_lost_close_the_lead(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    seller = _sales(ctx, "sales@x.com", team_id)
    builders.stream(ctx, SCORE_50, team_ids=[team_id])
    (made,) = _score(ctx, "a@x.com", 60)

    moves = ["opportunity", "sql", "won", "opportunity", "lost", "mql", "won"]
    closed = []
    for stage in moves:
        _advance(ctx, hours=1)
        lead = _move(ctx, seller, made.lead_id, stage)
        assert lead.stage == stage
        closed.append(lead.closed_at)
    hour = timedelta(hours=1)
    assert closed == [None, None, START + 3 * hour, None, START + 5 * hour, None, START + 7 * hour]

    recorded = leads.stage_changes(ctx, who=seller, lead_id=made.lead_id)
    froms = ["mql", *moves[:-1]]
    by_seller = [
        (before, after, seller.id, START + n * hour)
        for n, (before, after) in enumerate(zip(froms, moves, strict=True), 1)
    ]
    assert [(r.from_stage, r.to_stage, r.user_id, r.at) for r in recorded] == [
        (None, "mql", None, START),  # made by the stream, not by a user
        *by_seller,
    ]


def test_rule_5_a_closed_lead_is_not_reopened_while_the_contact_has_another_open_lead(
    ctx: Context,
) -> None:
    """One open lead per contact (rule 4) wins over reopening (docs/service.md)."""
    team_id = builders.team(ctx)
    seller = _sales(ctx, "sales@x.com", team_id)
    builders.stream(ctx, SCORE_50, team_ids=[team_id], name="Score")
    builders.stream(ctx, CONTACT_FORM, team_ids=[team_id], name="Form")
    (first,) = _score(ctx, "a@x.com", 60)
    _move(ctx, seller, first.lead_id, "won")
    (second,) = _form(ctx, "a@x.com", CONTACT_US)

    with pytest.raises(Conflict):
        _move(ctx, seller, first.lead_id, "sql")
    assert leads.get_lead(ctx, who=seller, lead_id=first.lead_id).stage == "won"
    _move(ctx, seller, second.lead_id, "lost")
    assert _move(ctx, seller, first.lead_id, "sql").closed_at is None


# --- rule 6: fetch history ---------------------------------------------------------------


def test_rule_6_fetch_history_is_refused_while_the_stream_is_inactive(
    api: Api, ctx: Context
) -> None:
    body = {"name": "Hot", "rules": SCORE_50, "team_ids": [api.team_id]}
    stream_id = api.marketing.post("/api/v1/streams", json=body).json()["id"]
    api.marketing.post("/api/v1/contacts", json={"email": "a@x.com", "lead_score": 60})

    refused = api.marketing.post(f"/api/v1/streams/{stream_id}/fetch-history")
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["message"]) == (
        "conflict",
        "fetch history needs the stream to be active",
    )
    missing = api.marketing.post(f"/api/v1/streams/{stream_id + 1}/fetch-history")
    assert missing.json()["error"]["message"] == f"no stream with id {stream_id + 1}"
    trail = api.marketing.get(f"/api/v1/streams/{stream_id}/history").json()
    actions = [entry["action"] for entry in trail]
    assert actions == ["created"]  # and nothing else happened
    assert _count(ctx, jobs) == 0
    assert api.admin.get("/api/v1/leads").json()["items"] == []


def test_rule_6_fetch_history_matches_every_contact_as_it_is_now_subject_to_rules_3_and_4(
    ctx: Context,
) -> None:
    north, south = builders.team(ctx, "North"), builders.team(ctx, "South")
    seller = _sales(ctx, "s@x.com", south)
    form_id = builders.stream(ctx, CONTACT_FORM, team_ids=[south], name="Form")
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[north], name="Score", active=False)
    ids = {  # 16 contacts, more than two chunks of 7; the even ones match
        n: builders.contact(ctx, f"c{n:02}@x.com", lead_score=60 if n % 2 == 0 else 10)
        for n in range(1, 17)
    }
    (joined,) = _form(ctx, "c02@x.com", CONTACT_US)  # an open lead: the match joins it
    (closed,) = _form(ctx, "c06@x.com", CONTACT_US)
    _move(ctx, seller, closed.lead_id, "won")  # a closed lead: the match makes a new one
    _activate(ctx, stream_id)
    assert [m.stream_id for m in _score(ctx, "c04@x.com", 61)] == [stream_id]  # live already
    before, mark = len(_deliveries(ctx)), _last_outbox_id(ctx)

    job = _fetch_history(ctx, stream_id)
    assert (job.status, job.scanned, job.total) == ("done", 16, 16)
    with ctx.uow(read_only=True) as uow:  # the last chunk's heartbeat too
        assert uow.connection.scalar(select(jobs.c.heartbeat_at)) == START
    news = {"topic": "stream.changed", "stream_id": stream_id, "what": "history_fetched"}
    assert _outbox_after(ctx, mark)[-1] == news | {SEEN_BY: [north]}  # for open pages
    assert job.matches_created == 7  # 8 eligible, one matched live before (rule 3)
    by_contact = {r["contact_id"]: r for r in _matches(ctx, stream_id)}
    assert sorted(by_contact) == sorted(ids[n] for n in range(2, 17, 2))
    assert by_contact[ids[4]]["origin"] == "live"
    assert {by_contact[ids[n]]["origin"] for n in (2, 6, 8, 10, 12, 14, 16)} == {"history"}
    assert by_contact[ids[2]]["lead_id"] == joined.lead_id  # rule 4
    assert by_contact[ids[6]]["lead_id"] != closed.lead_id
    assert by_contact[ids[8]]["explanation"]["held"] is True
    admin = _admin(ctx)
    lead = leads.get_lead(ctx, who=admin, lead_id=joined.lead_id)
    assert lead.team_ids == sorted([north, south])
    assert [m.stream_id for m in lead.matches] == [form_id, stream_id]
    assert lead.matches[1].origin == "history"
    expected = [f"c{n:02}@x.com" for n in range(2, 17, 2)]
    assert _emails(ctx, admin, stream_id=stream_id) == expected
    made = sorted((topic, payload["origin"]) for topic, _, payload in _deliveries(ctx)[before:])
    new_leads, joined_lead = ("lead.created", "history"), ("lead.matched", "history")
    assert made == [new_leads] * 6 + [joined_lead]
    assert streams.get_stream(ctx, stream_id=stream_id).history_fetched_at == START


def test_rule_6_fetch_history_is_idempotent_except_for_contacts_eligible_since(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id], active=False)
    for n in range(1, 11):
        builders.contact(ctx, f"c{n:02}@x.com", lead_score=60 if n <= 8 else 10)
    _activate(ctx, stream_id)
    assert _fetch_history(ctx, stream_id).matches_created == 8

    again = _fetch_history(ctx, stream_id)
    assert (again.matches_created, again.scanned) == (0, 10)
    assert len(_matches(ctx, stream_id)) == 8

    _deactivate(ctx, stream_id)  # changes no live evaluation sees
    _score(ctx, "c09@x.com", 70)
    _score(ctx, "c11@x.com", 70)
    _activate(ctx, stream_id)
    assert _fetch_history(ctx, stream_id).matches_created == 2
    assert len(_matches(ctx, stream_id)) == 10


def test_rule_6_fetch_history_measures_time_windows_from_the_jobs_start(ctx: Context) -> None:
    team_id = builders.team(ctx)
    recent_form = {**CONTACT_FORM, "within_days": 30}
    stream_id = builders.stream(ctx, recent_form, team_ids=[team_id], active=False)
    _form(ctx, "inside@x.com", CONTACT_US, occurred_at=START - timedelta(days=29))
    _form(ctx, "outside@x.com", CONTACT_US, occurred_at=START - timedelta(days=31))
    _activate(ctx, stream_id)
    job = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    _advance(ctx, days=2)  # the job runs later: "inside" is 31 days old by then

    assert _run_jobs(ctx) == ["done"]
    assert fetch_history.get_job(ctx, job_id=job.id).matches_created == 1
    assert _emails(ctx, _admin(ctx)) == ["inside@x.com"]


def test_rule_6_fetch_history_stops_when_the_stream_is_deactivated(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id], active=False)
    for n in range(1, 17):
        builders.contact(ctx, f"c{n:02}@x.com", lead_score=60)
    _activate(ctx, stream_id)
    started = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    _after_first_chunk(monkeypatch, lambda: _deactivate(ctx, stream_id))

    assert _run_jobs(ctx) == ["cancelled"]
    job = fetch_history.get_job(ctx, job_id=started.id)
    assert (job.status, job.scanned, job.total, job.matches_created) == (
        "cancelled",
        7,
        16,
        7,
    )
    assert len(_matches(ctx, stream_id)) == 7
    _activate(ctx, stream_id)  # a queued job is cancelled too, before it starts
    queued = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    _deactivate(ctx, stream_id)
    assert _run_jobs(ctx) == []
    assert fetch_history.get_job(ctx, job_id=queued.id).status == "cancelled"


def test_rule_6_fetch_history_resumes_after_its_worker_died(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id], active=False)
    for n in range(1, 17):
        builders.contact(ctx, f"c{n:02}@x.com", lead_score=60)
    _activate(ctx, stream_id)
    started = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)

    def die() -> None:
        raise RuntimeError("the worker died")

    undo = _after_first_chunk(monkeypatch, die)
    job = _claim(ctx)
    assert job is not None
    with pytest.raises(RuntimeError):
        fetch_history.run_fetch_history(ctx, job)
    undo()
    assert _claim(ctx) is None  # its heartbeat is fresh: nobody takes it over yet
    _advance(ctx, seconds=61)

    assert _run_jobs(ctx) == ["done"]
    done = fetch_history.get_job(ctx, job_id=started.id)
    assert (done.scanned, done.total, done.matches_created) == (16, 16, 16)
    assert len(_matches(ctx, stream_id)) == 16


def test_rule_6_at_most_one_fetch_history_runs_per_stream(api: Api, ctx: Context) -> None:
    body = {"name": "Hot", "rules": SCORE_50, "team_ids": [api.team_id]}
    stream_id = api.marketing.post("/api/v1/streams", json=body).json()["id"]
    api.marketing.post(f"/api/v1/streams/{stream_id}/activate")
    started = api.marketing.post(f"/api/v1/streams/{stream_id}/fetch-history")
    assert started.status_code == 202, started.text
    job = started.json()
    assert {k: job[k] for k in ("kind", "stream_id", "status", "scanned", "matches_created")} == {
        "kind": "fetch_history",
        "stream_id": stream_id,
        "status": "queued",
        "scanned": 0,
        "matches_created": 0,
    }
    fetch = f"/api/v1/streams/{stream_id}/fetch-history"
    queued = api.marketing.post(fetch)
    assert queued.status_code == 409  # while it is queued
    running = "a fetch-history job is already running for this stream"
    assert queued.json()["error"]["message"] == running
    claimed = _claim(ctx)
    assert claimed is not None
    assert api.marketing.post(fetch).status_code == 409  # while it runs
    assert fetch_history.run_fetch_history(ctx, claimed) == "done"
    progress = api.marketing.get(f"/api/v1/jobs/{job['id']}").json()
    assert (progress["status"], progress["total"]) == ("done", 0)
    assert api.marketing.post(fetch).status_code == 202  # once it is over
    unknown = api.marketing.get(f"/api/v1/jobs/{job['id'] + 9}")
    assert (unknown.status_code, unknown.json()["error"]["message"]) == (404, "no such job")


def test_rule_6_fetch_history_reads_the_lead_stage_as_live_evaluation_does(ctx: Context) -> None:
    team_id = builders.team(ctx)
    seller = _sales(ctx, "sales@x.com", team_id)
    score_id = builders.stream(ctx, SCORE_50, team_ids=[team_id], name="Score")
    worked = {"field": "lead_stage", "op": "in", "value": ["sql", "opportunity"]}
    worked_id = builders.stream(ctx, worked, team_ids=[team_id], name="Worked", active=False)
    (made,) = _score(ctx, "worked@x.com", 60)
    _score(ctx, "fresh@x.com", 60)
    builders.contact(ctx, "nobody@x.com")
    _move(ctx, seller, made.lead_id, "sql")
    _activate(ctx, worked_id)

    assert streams.preview(ctx, stream_id=worked_id, sample=0).matching == 1
    assert _fetch_history(ctx, worked_id).matches_created == 1
    assert [m["lead_id"] for m in _matches(ctx, worked_id)] == [made.lead_id]

    # The stage a contact has before fetch history makes its lead: `none`, for a new one.
    not_yet = {"all": [{"field": "lead_stage", "op": "eq", "value": "none"}, SCORE_50]}
    not_yet_id = builders.stream(ctx, not_yet, team_ids=[team_id], name="Not yet", active=False)
    _deactivate(ctx, score_id)
    builders.contact(ctx, "hot@x.com", lead_score=90)
    _activate(ctx, not_yet_id)
    assert _fetch_history(ctx, not_yet_id).matches_created == 1
    (lead,) = _board(ctx, _admin(ctx), stream_id=not_yet_id)
    assert lead.contact.email == "hot@x.com"
    assert [m.stream_name for m in lead.matches] == ["Not yet"]
    assert lead.matches[0].explanation["held"] is True  # explained as it was evaluated


def _after_first_chunk(
    monkeypatch: pytest.MonkeyPatch, then: Callable[[], None]
) -> Callable[[], None]:
    """Run `then` once the job's first chunk has committed; returns a way to stop doing so."""
    chunk = fetch_history._chunk
    armed = [True]

    def first_then(*args: Any) -> tuple[str, int]:
        done = chunk(*args)
        if armed[0]:
            armed[0] = False
            then()
        return done

    monkeypatch.setattr(fetch_history, "_chunk", first_then)
    return lambda: monkeypatch.setattr(fetch_history, "_chunk", chunk)


def _last_outbox_id(ctx: Context) -> int:
    with ctx.uow(read_only=True) as uow:
        return int(uow.connection.scalar(select(func.max(outbox.c.id))) or 0)


def _outbox_after(ctx: Context, mark: int) -> list[dict[str, Any]]:
    """The outbox rows after `mark`: topic and payload (whose `lead_id` is the row's)."""
    query = select(outbox).where(outbox.c.id > mark).order_by(outbox.c.id)
    with ctx.uow(read_only=True) as uow:
        rows = uow.connection.execute(query).all()
    for row in rows:
        assert row.lead_id == row.payload.get("lead_id")
    return [{"topic": row.topic, **row.payload} for row in rows]


# --- rule 7: clear leads -----------------------------------------------------------------


def test_rule_7_clearing_is_refused_while_the_stream_is_active(ctx: Context) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id])
    _score(ctx, "a@x.com", 60)

    with pytest.raises(Conflict, match=r"^deactivate the stream before clearing its leads$"):
        fetch_history.clear_stream(ctx, stream_id=stream_id, user_id=None)
    with pytest.raises(NotFound, match=rf"^no stream with id {stream_id + 1}$"):
        fetch_history.clear_stream(ctx, stream_id=stream_id + 1, user_id=None)
    assert [m["cleared_at"] for m in _matches(ctx, stream_id)] == [None]
    assert _emails(ctx, _admin(ctx)) == ["a@x.com"]


def test_rule_7_clearing_archives_the_matches_and_takes_leads_left_without_one_off_the_board(
    ctx: Context,
) -> None:
    north, south = builders.team(ctx, "North"), builders.team(ctx, "South")
    sees_north = _sales(ctx, "n@x.com", north)
    admin = _admin(ctx)
    score_id = builders.stream(ctx, SCORE_50, team_ids=[north], name="Score")
    builders.stream(ctx, CONTACT_FORM, team_ids=[south], name="Form")
    (only,) = _score(ctx, "only@x.com", 60)
    (both,) = _score(ctx, "both@x.com", 60)
    _move(ctx, sees_north, only.lead_id, "sql")
    _form(ctx, "both@x.com", CONTACT_US)
    _deactivate(ctx, score_id)
    _advance(ctx, hours=1)

    mark = _last_outbox_id(ctx)
    assert fetch_history.clear_stream(ctx, stream_id=score_id, user_id=admin.id) == 2
    cleared = {"topic": Topic.LEAD_CLEARED.value, "stream_id": score_id, "by_user_id": admin.id}
    assert _outbox_after(ctx, mark) == [
        *sorted(
            [
                cleared | {"lead_id": only.lead_id, "contact_id": only.contact_id,
                           "left_board": True, SEEN_BY: [north]},
                cleared | {"lead_id": both.lead_id, "contact_id": both.contact_id,
                           "left_board": False, SEEN_BY: [north, south]},
            ],
            key=lambda row: row["lead_id"],
        ),
        {"topic": "stream.changed", "stream_id": score_id, "what": "cleared", SEEN_BY: [north]},
    ]  # fmt: skip
    assert _emails(ctx, admin) == ["both@x.com"]
    assert _emails(ctx, sees_north) == []  # only the Form stream's team sees it now
    kept = leads.get_lead(ctx, who=admin, lead_id=both.lead_id)
    assert kept.team_ids == [south]
    assert [m.stream_name for m in kept.matches] == ["Form"]
    assert _emails(ctx, admin, stream_id=score_id) == []

    archived = leads.archive(ctx, stream_id=score_id)
    cleared_at = START + timedelta(hours=1)
    assert sorted((a.lead_id, a.stage, a.lead_cleared_at) for a in archived) == sorted(
        [(only.lead_id, "sql", cleared_at), (both.lead_id, "mql", None)]
    )
    assert {a.cleared_at for a in archived} == {cleared_at}
    assert leads.stage_changes(ctx, who=admin, lead_id=only.lead_id)[-1].to_stage == "sql"

    _activate(ctx, score_id)  # the cleared contacts may match the stream again
    (again,) = _score(ctx, "only@x.com", 61)
    assert again.lead_created and again.lead_id != only.lead_id
    (rejoined,) = _score(ctx, "both@x.com", 61)
    assert (rejoined.lead_id, rejoined.lead_created) == (both.lead_id, False)
    assert _emails(ctx, sees_north) == ["both@x.com", "only@x.com"]


# --- rule 8: editing, and the stream's history -------------------------------------------


def test_rule_8_an_edit_while_active_applies_to_changes_arriving_after_it(ctx: Context) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[team_id])
    builders.contact(ctx, "early@x.com", lead_score=40)
    (before,) = _score(ctx, "matched@x.com", 60)

    def edit(rules: dict[str, Any]) -> None:
        streams.update_stream(
            ctx, stream_id=stream_id, data=StreamUpdate(rules=rules), user_id=None
        )

    edit({"field": "lead_score", "op": "gte", "value": 30})
    assert _matches(ctx, stream_id)[0]["lead_id"] == before.lead_id
    assert len(_matches(ctx, stream_id)) == 1  # "early" holds now, but nothing arrived yet
    assert [m.stream_id for m in _score(ctx, "late@x.com", 35)] == [stream_id]
    assert [m.stream_id for m in _score(ctx, "early@x.com", 41)] == [stream_id]

    edit({"field": "lead_score", "op": "gte", "value": 90})
    assert _score(ctx, "later@x.com", 60) == []
    assert _emails(ctx, _admin(ctx)) == ["early@x.com", "late@x.com", "matched@x.com"]


def test_rule_8_every_edit_activation_deactivation_clear_and_fetch_is_recorded(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    who = _admin(ctx).id
    data = StreamCreate(name="Hot", rules=SCORE_50, team_ids=[team_id])
    stream_id = streams.create_stream(ctx, data=data, user_id=who).id
    builders.contact(ctx, "a@x.com", lead_score=60)
    hotter = {"field": "lead_score", "op": "gte", "value": 55}

    steps: list[Callable[[], Any]] = [
        lambda: _activate(ctx, stream_id, who),
        lambda: streams.update_stream(
            ctx, stream_id=stream_id, data=StreamUpdate(name="Hotter", rules=hotter), user_id=who
        ),
        lambda: _fetch_history(ctx, stream_id, who),
        lambda: _deactivate(ctx, stream_id, who),
        lambda: fetch_history.clear_stream(ctx, stream_id=stream_id, user_id=who),
    ]
    for step in steps:
        _advance(ctx, hours=1)
        step()

    trail = streams.stream_log(ctx, stream_id=stream_id)
    hour = timedelta(hours=1)
    assert [(h.action, h.user_id, h.at) for h in trail] == [
        ("created", who, START),
        ("activated", who, START + hour),
        ("edited", who, START + 2 * hour),
        ("fetch_history_started", who, START + 3 * hour),
        ("fetch_history_done", who, START + 3 * hour),
        ("deactivated", who, START + 4 * hour),
        ("cleared", who, START + 5 * hour),
    ]
    edited = trail[2].changes
    assert edited["name"] == {"from": "Hot", "to": "Hotter"}
    assert (edited["rules"]["from"], edited["rules"]["to"]) == (SCORE_50, hotter)
    job_id = trail[3].changes["job_id"]
    assert trail[4].changes == {"job_id": job_id, "matches_created": 1}
    assert trail[6].changes == {"matches_cleared": 1}


# --- rule 9: deleting --------------------------------------------------------------------


def test_rule_9_deleting_needs_an_inactive_stream_and_its_leads_stay_on_the_board(
    api: Api,
) -> None:
    body = {"name": "Hot", "rules": SCORE_50, "team_ids": [api.team_id]}
    stream_id = api.marketing.post("/api/v1/streams", json=body).json()["id"]
    api.marketing.post(f"/api/v1/streams/{stream_id}/activate")
    api.marketing.post("/api/v1/contacts", json={"email": "a@x.com", "lead_score": 60})

    refused = api.marketing.delete(f"/api/v1/streams/{stream_id}")
    assert refused.status_code == 409, refused.text
    assert api.marketing.get(f"/api/v1/streams/{stream_id}").json()["active"] is True
    api.marketing.post(f"/api/v1/streams/{stream_id}/deactivate")
    assert api.marketing.delete(f"/api/v1/streams/{stream_id}").status_code == 204

    assert api.marketing.get(f"/api/v1/streams/{stream_id}").status_code == 404
    assert api.marketing.get("/api/v1/streams").json() == []
    (lead,) = api.sales.get("/api/v1/leads").json()["items"]
    assert lead["contact"]["email"] == "a@x.com"
    assert [m["stream_name"] for m in lead["matches"]] == ["Hot"]
    assert lead["team_ids"] == [api.team_id]
    again = api.marketing.post("/api/v1/streams", json=body)  # its name is free again
    assert again.status_code == 201, again.text


def test_rule_9_a_team_an_active_stream_delivers_to_cannot_be_deleted(api: Api) -> None:
    body = {"name": "Hot", "rules": SCORE_50, "team_ids": [api.other_team_id, api.team_id]}
    stream_id = api.marketing.post("/api/v1/streams", json=body).json()["id"]
    api.marketing.post(f"/api/v1/streams/{stream_id}/activate")

    refused = api.admin.delete(f"/api/v1/teams/{api.other_team_id}")
    assert refused.status_code == 409, refused.text
    assert api.admin.get(f"/api/v1/teams/{api.other_team_id}").status_code == 200
    api.marketing.post(f"/api/v1/streams/{stream_id}/deactivate")
    assert api.admin.delete(f"/api/v1/teams/{api.other_team_id}").status_code == 204
    # Nor can a stream's only team go, active or not: the stream would deliver to nobody.
    assert api.admin.delete(f"/api/v1/teams/{api.team_id}").status_code == 409


# --- rule 10: delivery -------------------------------------------------------------------
# Webhook subscriptions, signing and retries are a later issue: here we check the outbox rows
# that creating a lead, adding a match, changing a stage and assigning a lead write.


def test_rule_10_leads_matches_stage_changes_and_assignments_emit_delivery_events(
    ctx: Context,
) -> None:
    team_id = builders.team(ctx)
    seller = _sales(ctx, "sales@x.com", team_id)
    builders.contact(ctx, "b@x.com", lead_score=70)  # before any stream: no live match
    score_id = builders.stream(ctx, SCORE_50, team_ids=[team_id], name="Score")
    form_id = builders.stream(ctx, CONTACT_FORM, team_ids=[team_id], name="Form", active=False)

    (made,) = _score(ctx, "a@x.com", 60)
    contact_id = _matches(ctx, score_id)[0]["contact_id"]
    _form(ctx, "a@x.com", CONTACT_US)  # the Form stream is inactive: nothing to deliver
    _activate(ctx, form_id)
    _form(ctx, "a@x.com", CONTACT_US)
    _move(ctx, seller, made.lead_id, "sql")
    leads.update_lead(ctx, who=seller, lead_id=made.lead_id, data=LeadUpdate(assignee_id=seller.id))
    leads.update_lead(ctx, who=seller, lead_id=made.lead_id, data=LeadUpdate(hidden=True))
    _fetch_history(ctx, score_id)  # b@x.com: a lead made by fetch history

    lead = made.lead_id
    common = {"lead_id": lead, "contact_id": contact_id}
    delivered = _deliveries(ctx)
    assert delivered[:4] == [
        ("lead.created", lead, {**common, "stream_id": score_id, "origin": "live"}),
        ("lead.matched", lead, {**common, "stream_id": form_id, "origin": "live"}),
        ("lead.stage_changed", lead, {**common, "from": "mql", "to": "sql"}),
        ("lead.assigned", lead, {**common, "assignee_id": seller.id}),
    ]
    ((topic, other_lead, payload),) = delivered[4:]
    assert (topic, payload["origin"], payload["stream_id"]) == ("lead.created", "history", score_id)
    assert other_lead != lead


# --- rule 11: ingestion is atomic --------------------------------------------------------


def test_rule_11_an_event_and_its_evaluation_commit_together_or_not_at_all(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_id = builders.team(ctx)
    builders.stream(ctx, CONTACT_FORM, team_ids=[team_id])
    data = EventCreate(
        event_id="e-1", email="new@x.com", type="form_submitted", properties=CONTACT_US
    )

    def failing(*args: Any, **kwargs: Any) -> list[NewMatch]:
        raise RuntimeError("the evaluation failed")

    with monkeypatch.context() as patched:
        patched.setattr(ingest, "write_matches", failing)
        with pytest.raises(RuntimeError):
            builders.record(ctx, data)
    assert (_count(ctx, events), _count(ctx, matches)) == (0, 0)
    assert contacts.search_contacts(ctx, q=None, limit=10, after_id=0) == []

    recorded = builders.record(ctx, data)  # the retry is a first arrival
    assert recorded.created and len(recorded.matches) == 1


def test_rule_11_a_retried_event_id_is_accepted_and_changes_nothing(api: Api) -> None:
    body = {"name": "Contact form", "rules": CONTACT_FORM, "team_ids": [api.team_id]}
    stream_id = api.marketing.post("/api/v1/streams", json=body).json()["id"]
    api.marketing.post(f"/api/v1/streams/{stream_id}/activate")
    event = {"event_id": "e-1", "email": "a@x.com", "type": "form_submitted"}

    first = api.marketing.post("/api/v1/events", json={**event, "properties": CONTACT_US})
    assert first.status_code == 201, first.text
    assert len(first.json()["matches"]) == 1
    retry = api.marketing.post("/api/v1/events", json={**event, "properties": NEWSLETTER})
    assert retry.status_code == 200, retry.text
    assert retry.json() == {**first.json(), "matches": []}
    elsewhere = api.marketing.post("/api/v1/events", json={**event, "email": "b@x.com"})
    assert elsewhere.status_code == 200
    assert elsewhere.json()["contact_id"] == first.json()["contact_id"]
    assert api.marketing.get("/api/v1/contacts", params={"q": "b@x.com"}).json() == []
    contact_id = first.json()["contact_id"]
    timeline = api.marketing.get(f"/api/v1/contacts/{contact_id}/events").json()["items"]
    assert [(e["event_id"], e["properties"]) for e in timeline] == [("e-1", CONTACT_US)]
    (lead,) = api.admin.get("/api/v1/leads").json()["items"]
    assert len(lead["matches"]) == 1


def test_rule_11_a_batch_reports_each_item_and_one_bad_item_loses_no_good_one(api: Api) -> None:
    body = {"name": "Contact form", "rules": CONTACT_FORM, "team_ids": [api.team_id]}
    stream_id = api.marketing.post("/api/v1/streams", json=body).json()["id"]
    api.marketing.post(f"/api/v1/streams/{stream_id}/activate")
    good = {"type": "form_submitted", "properties": CONTACT_US}
    items = [
        {**good, "event_id": "a-1", "email": "a@x.com"},
        {**good, "event_id": "x-1", "email": "x@x.com", "type": "Not A Type"},
        {**good, "event_id": "y-1", "contact_id": 999_999},
        {**good, "event_id": "a-1", "email": "a@x.com"},
        {**good, "event_id": "b-1", "email": "b@x.com"},
    ]

    answer = api.marketing.post("/api/v1/events/batch", json={"events": items})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "created"),
        (1, "error"),
        (2, "error"),
        (3, "duplicate"),
        (4, "created"),
    ]
    assert [d["path"] for d in results[1]["details"]] == ["type"]
    assert [d["path"] for d in results[2]["details"]] == ["contact_id"]
    assert results[3]["id"] == results[0]["id"]
    board = api.admin.get("/api/v1/leads").json()["items"]
    assert sorted(lead["contact"]["email"] for lead in board) == ["a@x.com", "b@x.com"]
    assert api.marketing.get("/api/v1/contacts", params={"q": "x@x.com"}).json() == []


# --- rule 12: time -----------------------------------------------------------------------


def test_rule_12_times_are_stored_and_read_in_utc(ctx: Context) -> None:
    team_id = builders.team(ctx)
    builders.stream(ctx, CONTACT_FORM, team_ids=[team_id])
    at_plus_two = datetime.fromisoformat("2026-02-20T12:00:00+02:00")
    recorded = builders.event(
        ctx, "a@x.com", "form_submitted", properties=CONTACT_US, occurred_at=at_plus_two
    )

    with ctx.uow(read_only=True) as uow:
        raw = uow.connection.exec_driver_sql("SELECT occurred_at, received_at FROM events").one()
    assert [str(value)[:19] for value in raw] == ["2026-02-20 10:00:00", "2026-03-01 09:00:00"]
    admin = _admin(ctx)
    (item,) = contacts.timeline(
        ctx, who=admin, contact_id=recorded.contact_id, limit=10, cursor=None
    ).items
    assert item.occurred_at == datetime(2026, 2, 20, 10, tzinfo=UTC)
    (lead,) = _board(ctx, admin)
    for value in (item.occurred_at, item.received_at, lead.created_at):
        assert value.utcoffset() == timedelta(0)
    assert lead.matches[0].matched_at == START


def test_rule_12_rule_evaluation_takes_now_from_the_injected_clock(ctx: Context) -> None:
    team_id = builders.team(ctx)
    rules = {"all": [SCORE_50, {**CONTACT_FORM, "within_days": 30}]}
    stream_id = builders.stream(ctx, rules, team_ids=[team_id])
    for email in ("edge@x.com", "late@x.com"):
        assert _form(ctx, email, CONTACT_US) == []  # score 0: the form alone is not enough

    _advance(ctx, days=30)  # the form is exactly 30 days old: inside the window
    assert [m.stream_id for m in _score(ctx, "edge@x.com", 60)] == [stream_id]
    _advance(ctx, seconds=1)  # a second later it is not
    assert _score(ctx, "late@x.com", 60) == []
    assert [m["matched_at"] for m in _matches(ctx, stream_id)] == [START + timedelta(days=30)]
