"""Within one batch of events, a contact's later change sees the lead stage its earlier ones
left (`services.matching.plan_matches`): `mql` once a match opened a new lead, the open
lead's own stage when the match joined it. Live matching of a custom datetime field too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from leadstreams.schemas.events import EventCreate
from leadstreams.schemas.fields import FieldCreate
from leadstreams.services import ingest, vocabulary
from leadstreams.services.context import Context
from leadstreams.store.tables import leads, matches
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


def test_a_later_change_in_the_batch_sees_the_stage_of_the_open_lead_it_joined(
    ctx: Context,
) -> None:
    ids = _streams(ctx)
    contact_id = builders.contact(ctx, "open@x.com")
    with ctx.uow() as uow:  # an open lead in stage sql, before the streams see the contact
        created = {"created_at": START, "updated_at": START}
        uow.connection.execute(
            leads.insert().values(contact_id=contact_id, stage="sql", hidden=False, **created)
        )
        uow.commit()

    _form_then_visit(ctx, "open@x.com")

    assert _matched_streams(ctx, contact_id) == {ids["form"], ids["sql"]}


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
