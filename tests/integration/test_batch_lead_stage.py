"""Within one batch of events, a contact's later change sees the lead stage its earlier ones
left (`services.matching.plan_matches`): `mql` once a match opened a new lead, the open
lead's own stage when the match joined it, and the stream it matched (no second match
there). Live matching of a custom datetime field, and what `evaluate_contact` answers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from leadstreams.schemas.events import EventCreate
from leadstreams.schemas.fields import FieldCreate
from leadstreams.services import ingest, vocabulary
from leadstreams.services.context import Context
from leadstreams.services.matching import NewMatch, evaluate_contact
from leadstreams.store import rule_inputs
from leadstreams.store.rule_columns import sql_columns
from leadstreams.store.tables import contacts, leads, matches
from leadstreams.store.types import to_iso_text
from tests.support import builders
from tests.support.service import START

CONTACT_US = {"form": "Contact us"}


def _visit_at_stage(stage: str) -> dict[str, Any]:
    return {
        "all": [
            {"event": "page_visited"},
            {"field": "lead_stage", "op": "eq", "value": stage},
        ]
    }


def _streams(ctx: Context) -> dict[str, int]:
    team_id = builders.team(ctx)
    ids = {"form": builders.stream(ctx, builders.CONTACT_FORM, team_ids=[team_id], name="Form")}
    for stage in ("none", "mql", "sql"):
        ids[stage] = builders.stream(
            ctx, _visit_at_stage(stage), team_ids=[team_id], name=f"Visit at {stage}"
        )
    return ids


def _form_then_visit(ctx: Context, email: str) -> None:
    """One batch: a contact form, then a page visit, of the same contact."""
    outcomes = ingest.record_many(
        ctx,
        [
            EventCreate(email=email, type="form_submitted", properties=CONTACT_US),
            EventCreate(email=email, type="page_visited"),
        ],
    )
    assert all(isinstance(outcome, ingest.Recorded) for outcome in outcomes)


def _matched_streams(ctx: Context, contact_id: int) -> set[int]:
    query = select(matches.c.stream_id).where(matches.c.contact_id == contact_id)
    with ctx.uow(read_only=True) as uow:
        return set(uow.connection.scalars(query))


def test_a_later_change_in_the_batch_sees_the_mql_stage_of_the_lead_an_earlier_one_opened(
    ctx: Context,
) -> None:
    ids = _streams(ctx)
    contact_id = builders.contact(ctx, "new@x.com")

    _form_then_visit(ctx, "new@x.com")

    assert _matched_streams(ctx, contact_id) == {ids["form"], ids["mql"]}


def _open_lead_in_sql(ctx: Context, contact_id: int) -> None:
    """An open lead in stage sql, before the streams see the contact."""
    with ctx.uow() as uow:
        created = {"created_at": START, "updated_at": START}
        uow.connection.execute(
            leads.insert().values(contact_id=contact_id, stage="sql", hidden=False, **created)
        )
        uow.commit()


def test_a_later_change_in_the_batch_sees_the_stage_of_the_open_lead_it_joined(
    ctx: Context,
) -> None:
    ids = _streams(ctx)
    contact_id = builders.contact(ctx, "open@x.com")
    _open_lead_in_sql(ctx, contact_id)

    _form_then_visit(ctx, "open@x.com")

    assert _matched_streams(ctx, contact_id) == {ids["form"], ids["sql"]}


def test_a_third_change_in_the_batch_still_sees_the_open_lead_s_stage(ctx: Context) -> None:
    """Two changes that join the open lead (in stage sql) leave its stage as it was: the
    third change of the batch reads sql, not the mql of a new lead."""
    team_id = builders.team(ctx)
    form = builders.stream(ctx, builders.CONTACT_FORM, team_ids=[team_id], name="Form")
    visit = builders.stream(ctx, {"event": "page_visited"}, team_ids=[team_id], name="Visit")
    rule = {"all": [{"event": "email_opened"}, {"field": "lead_stage", "op": "eq", "value": "sql"}]}
    opened = builders.stream(ctx, rule, team_ids=[team_id], name="Opened at sql")
    contact_id = builders.contact(ctx, "three@x.com")
    _open_lead_in_sql(ctx, contact_id)

    ingest.record_many(
        ctx,
        [
            EventCreate(email="three@x.com", type="form_submitted", properties=CONTACT_US),
            EventCreate(email="three@x.com", type="page_visited"),
            EventCreate(email="three@x.com", type="email_opened"),
        ],
    )

    assert _matched_streams(ctx, contact_id) == {form, visit, opened}


def test_live_matching_reads_a_custom_datetime_field(ctx: Context) -> None:
    vocabulary.create_field(
        ctx, data=FieldCreate(name="renewal_at", label="Renewal", type="datetime")
    )
    team_id = builders.team(ctx)
    rule = {"field": "renewal_at", "op": "within_last_days", "value": 10}
    stream_id = builders.stream(ctx, rule, team_ids=[team_id])
    recent = builders.contact(
        ctx, "recent@x.com", fields={"renewal_at": to_iso_text(START - timedelta(days=3))}
    )
    old = builders.contact(
        ctx, "old@x.com", fields={"renewal_at": to_iso_text(START - timedelta(days=11))}
    )

    assert _matched_streams(ctx, recent) == {stream_id}
    assert _matched_streams(ctx, old) == set()


def test_a_later_change_in_the_batch_sees_the_match_an_earlier_one_made(ctx: Context) -> None:
    team_id = builders.team(ctx)
    stream_id = builders.stream(ctx, builders.CONTACT_FORM, team_ids=[team_id])
    contact_id = builders.contact(ctx, "twice@x.com")
    form = EventCreate(email="twice@x.com", type="form_submitted", properties=CONTACT_US)

    first, second = ingest.record_many(ctx, [form, form])

    assert isinstance(first, ingest.Recorded) and isinstance(second, ingest.Recorded)
    assert [(m.stream_id, m.contact_id, m.lead_created) for m in first.matches] == [
        (stream_id, contact_id, True)
    ]
    assert second.matches == []  # rule 3: the stream's current match blocks a second one


def test_evaluate_contact_answers_the_matches_it_made(ctx: Context) -> None:
    contact_id = builders.contact(ctx, "later@x.com")
    team_id = builders.team(ctx)  # the stream comes after the contact: no match yet
    no_lead = {"field": "lead_stage", "op": "eq", "value": "none"}
    stream_id = builders.stream(ctx, no_lead, team_ids=[team_id])
    trigger = {"kind": "contact_update", "fields": ["lead_stage"]}

    def evaluate() -> list[NewMatch]:
        with ctx.uow() as uow:
            index = ctx.live.current(uow)
            candidates = index.for_fields({"lead_stage"})
            made = evaluate_contact(
                uow, index=index, contact_id=contact_id, candidates=candidates, trigger=trigger
            )
            uow.commit()
        return made

    made = evaluate()
    assert [(m.stream_id, m.contact_id, m.lead_created) for m in made] == [
        (stream_id, contact_id, True)
    ]
    with ctx.uow(read_only=True) as uow:
        row = uow.connection.execute(select(matches.c.id, matches.c.lead_id)).one()
    assert (made[0].match_id, made[0].lead_id) == (row.id, row.lead_id)
    assert evaluate() == []  # matched already (rule 3)


def test_the_lead_stage_rules_read_is_the_newest_lead_s_by_creation_then_id_in_python_and_sql(
    ctx: Context,
) -> None:
    """`rule_inputs.lead_stages` (what live matching and explanations read) and the SQL
    column fetch history reads agree: the newest lead not cleared, by `created_at` first (a
    lead made later may have a lower id: two processes), then by id (the clock stood
    still); `none` without one."""
    hour = timedelta(hours=1)
    out_of_order, same_time = builders.contact(ctx, "a@x.com"), builders.contact(ctx, "b@x.com")
    no_lead = builders.contact(ctx, "c@x.com")
    with ctx.uow() as uow:

        def lead(contact_id: int, stage: str, created_at: Any, **values: Any) -> None:
            row = {"stage": stage, "hidden": False, "created_at": created_at} | values
            uow.connection.execute(
                leads.insert().values(contact_id=contact_id, updated_at=START, **row)
            )

        lead(out_of_order, "won", START + hour, closed_at=START)  # the lower id, made later
        lead(out_of_order, "sql", START)
        lead(out_of_order, "lost", START + 2 * hour, closed_at=START, cleared_at=START)
        lead(same_time, "won", START, closed_at=START)
        lead(same_time, "mql", START)  # the higher id
        uow.commit()

    columns = sql_columns(vocabulary.current(ctx))
    with ctx.uow(read_only=True) as uow:
        ids = [out_of_order, same_time, no_lead]
        in_python = rule_inputs.lead_stages(uow.connection, ids)
        query = select(contacts.c.id, columns.fields["lead_stage"]).where(contacts.c.id.in_(ids))
        in_sql = {contact_id: stage for contact_id, stage in uow.connection.execute(query)}

    assert in_python == in_sql == {out_of_order: "won", same_time: "mql", no_lead: "none"}


def test_live_matching_reads_the_old_events_a_stream_without_window_counts(
    ctx: Context,
) -> None:
    """A visit triggers two streams: one counts visits of the last 7 days, the other a form
    submitted at any time. The events read for both reach back to the oldest either counts
    (all of them), not to the 7 days of the first."""
    team_id = builders.team(ctx)
    recent_visit = {"event": "page_visited", "within_days": 7}
    form_and_visit = {"all": [{"event": "form_submitted"}, {"event": "page_visited"}]}
    recent = builders.stream(ctx, recent_visit, team_ids=[team_id], name="Recent visit")
    ever = builders.stream(ctx, form_and_visit, team_ids=[team_id], name="Form and visit")
    builders.event(ctx, "old@x.com", properties=CONTACT_US, occurred_at=START - timedelta(days=30))
    contact_id = builders.contact(ctx, "old@x.com")
    assert _matched_streams(ctx, contact_id) == set()  # no visit yet

    builders.event(ctx, "old@x.com", "page_visited")

    assert _matched_streams(ctx, contact_id) == {recent, ever}
