"""Contacts (admins and marketing): a searchable list, and a page per contact with its timeline.

Sales users read contacts only through the lead board's contact card, so these pages answer 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.domain.roles import Action
from leadstreams.errors import InvalidInput, NotFound
from leadstreams.schemas.common import MAX_ID, id_from_text
from leadstreams.services import contacts, scoring
from leadstreams.services.auth import Principal
from leadstreams.web.deps import PageUser
from leadstreams.web.pages._score_chart import score_chart
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
TIMELINE_SIZE = 50


def _may_read_contacts(user: PageUser) -> Principal:
    user.require(Action.READ_CONTACTS)
    return user


Reader = Annotated[Principal, Depends(_may_read_contacts)]


def _cursor(value: str) -> int | None:
    """A page cursor from the address bar: a bad one starts from the beginning."""
    return id_from_text(value)


@router.get("/contacts")
def contact_list(request: Request, ctx: Ctx, who: Reader, q: str = "", after: str = "") -> Response:
    after_id = _cursor(after) or 0
    found = contacts.search_contacts(
        ctx, q=q.strip() or None, limit=PAGE_SIZE + 1, after_id=after_id
    )
    page, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    context = {
        "contacts": page,
        "q": q,
        "after": after_id,
        "next_after": page[-1].id if more else None,
    }
    return render(request, "contacts.html", context, user=who)


@router.get("/contacts/{contact_id:int}")
def contact_page(
    request: Request, ctx: Ctx, who: Reader, contact_id: int, before: str = ""
) -> Response:
    if not 1 <= contact_id <= MAX_ID:
        raise NotFound(f"no contact with id {contact_id}")
    contact = contacts.get_contact(ctx, who=who, contact_id=contact_id)
    try:
        activity = contacts.timeline(
            ctx, who=who, contact_id=contact_id, limit=TIMELINE_SIZE, cursor=before or None
        )
    except InvalidInput:  # a cursor mangled in the address bar: start from the newest
        before = ""
        activity = contacts.timeline(
            ctx, who=who, contact_id=contact_id, limit=TIMELINE_SIZE, cursor=None
        )
    score = scoring.contact_score(ctx, who=who, contact_id=contact_id)
    context = {"contact": contact, "activity": activity, "paged": bool(before)}
    context |= {"score": score, "score_chart": score_chart(score.history, ctx.clock.now())}
    return render(request, "contacts_detail.html", context, user=who)
