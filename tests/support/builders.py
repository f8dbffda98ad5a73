"""Short ways to set up the world through the services, as a user would."""

from __future__ import annotations

from typing import Any

from leadstreams.errors import LeadstreamsError
from leadstreams.schemas.contacts import ContactCreate
from leadstreams.schemas.events import EventCreate
from leadstreams.schemas.streams import StreamCreate
from leadstreams.schemas.users import TeamCreate, UserCreate
from leadstreams.services import contacts, ingest, streams, users
from leadstreams.services.context import Context
from leadstreams.services.ingest import Recorded

SCORE_AT_LEAST_50 = {"field": "lead_score", "op": "gte", "value": 50}
CONTACT_FORM = {
    "event": "form_submitted",
    "where": [{"property": "form", "op": "eq", "value": "Contact us"}],
}


def team(ctx: Context, name: str = "Nordics", member_ids: list[int] | None = None) -> int:
    return users.create_team(ctx, data=TeamCreate(name=name, member_ids=member_ids or [])).id


def user(ctx: Context, email: str, role: str = "sales", team_ids: list[int] | None = None) -> int:
    data = UserCreate(
        email=email,
        name=email.split("@")[0],
        role=role,
        password="correct horse",
        team_ids=team_ids or [],
    )  # type: ignore[arg-type]
    return users.create_user(ctx, data=data).id


def stream(
    ctx: Context,
    rules: dict[str, Any],
    *,
    team_ids: list[int],
    name: str = "Hot leads",
    active: bool = True,
    **extra: Any,
) -> int:
    data = StreamCreate(name=name, rules=rules, team_ids=team_ids, **extra)
    stream_id = streams.create_stream(ctx, data=data, user_id=None).id
    if active:
        streams.set_active(ctx, stream_id=stream_id, active=True, user_id=None)
    return stream_id


def contact(ctx: Context, email: str, **fields: Any) -> int:
    created, _ = contacts.upsert_contact(ctx, data=ContactCreate(email=email, **fields))
    return created.id


def event(ctx: Context, email: str, type_: str = "form_submitted", **extra: Any) -> Recorded:
    return record(ctx, EventCreate(email=email, type=type_, **extra))


def record(ctx: Context, data: EventCreate) -> Recorded:
    """One event through the one ingest entry, as the API's group commit records it."""
    [outcome] = ingest.record_many(ctx, [data])
    if isinstance(outcome, LeadstreamsError):
        raise outcome
    return outcome
