from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from leadstreams.api.deps import Ctx, Who
from leadstreams.domain.roles import Action
from leadstreams.rules.fields import Category
from leadstreams.schemas.common import MAX_ID, Id
from leadstreams.schemas.contacts import ContactCreate, ContactRead, ContactWrite, Timeline
from leadstreams.services import contacts
from leadstreams.services.contacts import ContactFilter

SCORE_BOUND = 1_000_000_000  # a contact's lead score is within this (schemas.contacts)

router = APIRouter(tags=["contacts"])


@router.post("/contacts", response_model=ContactRead, status_code=201)
def upsert_contact(ctx: Ctx, who: Who, body: ContactCreate, response: Response) -> ContactRead:
    """Create, or update the contact with this email (or external_id): 201 new, 200 updated.
    Fields absent from the body stay as they are."""
    who.require(Action.MANAGE_CONTACTS)
    contact, change = contacts.upsert_contact(ctx, data=body)
    response.status_code = 201 if change.created else 200
    return contact


@router.get("/contacts", response_model=list[ContactRead])
def search_contacts(
    ctx: Ctx,
    who: Who,
    q: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    category: Category | None = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    has_lead: bool | None = None,
    score_min: Annotated[int | None, Query(ge=-SCORE_BOUND, le=SCORE_BOUND)] = None,
    score_max: Annotated[int | None, Query(ge=-SCORE_BOUND, le=SCORE_BOUND)] = None,
) -> list[ContactRead]:
    """Search e-mail, names and company with `q`; narrow by category, tag, whether the
    contact has a lead on the board, and a lead score range (both ends included)."""
    who.require(Action.READ_CONTACTS)
    filters = ContactFilter(q, category, tag, has_lead, score_min, score_max)
    return contacts.search_contacts(ctx, q=q, limit=limit, after_id=after_id, filters=filters)


@router.get("/contacts/{contact_id}", response_model=ContactRead)
def get_contact(ctx: Ctx, who: Who, contact_id: Id) -> ContactRead:
    return contacts.get_contact(ctx, who=who, contact_id=contact_id)


@router.patch("/contacts/{contact_id}", response_model=ContactRead)
def update_contact(ctx: Ctx, who: Who, contact_id: Id, body: ContactWrite) -> ContactRead:
    """Marketing and admins change any field; sales only the category of their leads' contacts."""
    return contacts.update_contact_as(ctx, who=who, contact_id=contact_id, data=body)


@router.get("/contacts/{contact_id}/events")
def timeline(
    ctx: Ctx,
    who: Who,
    contact_id: Id,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Timeline:
    """The contact's activity, newest first in the order it happened (`occurred_at`, ties by
    id); pass `next_cursor` back as `cursor` for older events."""
    return contacts.timeline(ctx, who=who, contact_id=contact_id, limit=limit, cursor=cursor)
