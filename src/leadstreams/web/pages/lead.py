"""The contact card of a lead: why it matched, stage, assignee, hide, category, activity, notes."""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.errors import InvalidInput
from leadstreams.rules.fields import CATEGORIES, Category
from leadstreams.schemas.common import Id, id_from_text
from leadstreams.schemas.contacts import ContactWrite
from leadstreams.schemas.leads import LeadUpdate
from leadstreams.services import board, leads, lost_reasons, views
from leadstreams.web.deps import Csrf, PageUser
from leadstreams.web.pages._cards import ASSIGNED_BY, STAGES, display_name
from leadstreams.web.pages._score_chart import score_chart
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)
TIMELINE_PAGE = 20


@router.get("/leads/{lead_id}")
def contact_card(request: Request, ctx: Ctx, user: PageUser, lead_id: Id) -> Response:
    try:
        found = views.contact_card(ctx, who=user, lead_id=lead_id, timeline_limit=TIMELINE_PAGE)
    except leads.LeadLeft as left:  # a page that says how it left, not a bare "Not found"
        context = {"lead_id": lead_id, "reasons": left.reasons}
        return render(request, "lead_gone.html", context, user=user, status_code=404)
    context = {field.name: getattr(found, field.name) for field in fields(found)}
    context |= {"name": display_name(found.contact), "stages": STAGES, "assigned_by": ASSIGNED_BY}
    context["score_chart"] = score_chart(found.score.history, found.now)
    context["lost_reasons"] = lost_reasons.list_reasons(ctx, who=user)
    return render(request, "lead.html", context | {"categories": CATEGORIES}, user=user)


@router.get("/leads/{lead_id}/timeline")
def older_activity(
    request: Request, ctx: Ctx, user: PageUser, lead_id: Id, before: Annotated[str, Query()]
) -> Response:
    """The next page of the activity timeline, for its "Show older activity" button (htmx)."""
    page = board.timeline(ctx, who=user, lead_id=lead_id, limit=TIMELINE_PAGE, cursor=before)
    context = {"timeline": page, "lead": {"id": lead_id}}
    return render(request, "lead_timeline.html", context, user=user)


@router.post("/leads/{lead_id}/assign", dependencies=[Csrf])
def assign(
    ctx: Ctx, user: PageUser, lead_id: Id, assignee: Annotated[str, Form()] = ""
) -> Response:
    """`assignee`: a user id, "me", or empty to unassign."""
    chosen = user.id if assignee == "me" else _user_id(assignee)
    leads.update_lead(ctx, who=user, lead_id=lead_id, data=LeadUpdate(assignee_id=chosen))
    return _back(lead_id, "lead")


@router.post("/leads/{lead_id}/hidden", dependencies=[Csrf])
def hide(ctx: Ctx, user: PageUser, lead_id: Id, hidden: Annotated[bool, Form()]) -> Response:
    leads.update_lead(ctx, who=user, lead_id=lead_id, data=LeadUpdate(hidden=hidden))
    return _back(lead_id, "lead")


@router.post("/leads/{lead_id}/category", dependencies=[Csrf])
def set_category(
    ctx: Ctx, user: PageUser, lead_id: Id, category: Annotated[Category, Form()]
) -> Response:
    """Sales may change a contact's category (and nothing else of the contact)."""
    board.set_category(ctx, who=user, lead_id=lead_id, data=ContactWrite(category=category))
    return _back(lead_id, "lead")


@router.post("/leads/{lead_id}/notes", dependencies=[Csrf])
def add_note(
    ctx: Ctx, user: PageUser, lead_id: Id, text: Annotated[str, Form(max_length=5000)]
) -> Response:
    if not text.strip():
        raise InvalidInput.at("text", "write the note first")
    leads.add_note(ctx, who=user, lead_id=lead_id, text=text.strip())
    return _back(lead_id, "notes")


def _user_id(value: str) -> int | None:
    if not value:
        return None
    user_id = id_from_text(value)
    if user_id is None:
        raise InvalidInput.at("assignee", "choose a user from the list")
    return user_id


def _back(lead_id: int, section: str) -> Response:
    return RedirectResponse(f"/leads/{lead_id}#{section}", status_code=303)
