"""Contacts (admins and marketing): a list with filters, and a page per contact with its
details (by their labels), its lead, its timeline, and an edit form.

Sales users read contacts only through the lead board's contact card, so these pages answer 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.domain.roles import Action, may
from leadstreams.errors import InvalidInput, NotFound
from leadstreams.rules.fields import CATEGORIES
from leadstreams.schemas.common import MAX_ID, id_from_text
from leadstreams.schemas.contacts import ContactWrite
from leadstreams.services import contact_screens, contacts, scoring
from leadstreams.services.auth import Principal
from leadstreams.services.contacts import ContactFilter
from leadstreams.web.deps import Csrf, PageUser
from leadstreams.web.pages._cards import STAGES
from leadstreams.web.pages._contact_form import (
    EDITABLE,
    PLAIN,
    ContactForm,
    read_contact_form,
)
from leadstreams.web.pages._forms import (
    FormError,
    field_errors,
    flash,
    parse,
    status_of,
    take_flash,
)
from leadstreams.web.pages._score_chart import score_chart
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
TIMELINE_SIZE = 50
_HAS_LEAD = {"yes": True, "no": False}


def _may_read_contacts(user: PageUser) -> Principal:
    user.require(Action.READ_CONTACTS)
    return user


Reader = Annotated[Principal, Depends(_may_read_contacts)]


def _cursor(value: str) -> int | None:
    """A page cursor from the address bar: a bad one starts from the beginning."""
    return id_from_text(value)


def _score(value: str) -> int | None:
    """A score bound typed in the filter form; anything but a whole number is no bound."""
    text = value.strip()
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdecimal()) or len(digits) > 10:
        return None
    return int(text)


@router.get("/contacts")
def contact_list(
    request: Request,
    ctx: Ctx,
    who: Reader,
    q: str = "",
    category: str = "",
    tag: str = "",
    has_lead: str = "",
    score_min: str = "",
    score_max: str = "",
    after: str = "",
) -> Response:
    typed = {"q": q, "category": category, "tag": tag, "has_lead": has_lead,
             "score_min": score_min, "score_max": score_max}  # fmt: skip
    filters = ContactFilter(
        q=q.strip() or None,
        category=category if category in CATEGORIES else None,
        tag=tag.strip().lower() or None,
        has_lead=_HAS_LEAD.get(has_lead),
        score_min=_score(score_min),
        score_max=_score(score_max),
    )
    after_id = _cursor(after) or 0
    found = contacts.search_contacts(
        ctx, q=filters.q, limit=PAGE_SIZE + 1, after_id=after_id, filters=filters
    )
    page, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    context: dict[str, Any] = {
        "contacts": page,
        "leads": contact_screens.leads_of(ctx, contact_ids=[c.id for c in page]),
        "typed": typed,
        "filtered": filters != ContactFilter(),
        "q": q,
        "after": after_id,
        "next_after": page[-1].id if more else None,
        "categories": CATEGORIES,
        "stages": STAGES,
    }
    return render(request, "contacts.html", context, user=who)


@router.get("/contacts/{contact_id:int}")
def contact_page(
    request: Request, ctx: Ctx, who: Reader, contact_id: int, before: str = ""
) -> Response:
    return _contact_page(request, ctx, who, contact_id, before=before)


@router.post("/contacts/{contact_id:int}/edit", dependencies=[Csrf])
async def edit_contact(request: Request, ctx: Ctx, who: Reader, contact_id: int) -> Response:
    """Marketing and admins change the contact's details (a change the streams read is
    evaluated as the API's PATCH is)."""
    who.require(Action.MANAGE_CONTACTS)
    custom = contact_screens.contact_screen(ctx, who=who, contact_id=_known(contact_id)).custom
    form = await read_contact_form(request, custom)
    try:
        data = parse(ContactWrite, form.values())
        contacts.update_contact_as(ctx, who=who, contact_id=_known(contact_id), data=data)
    except FormError as error:
        errors = field_errors(error, default="email")
        errors |= {key: PLAIN[key] for key in errors if key in PLAIN}
        # A custom field's error shows at its own box ("fields.employees").
        errors |= {d.path: d.message for d in error.details if d.path.startswith("fields.")}
        return _contact_page(
            request, ctx, who, contact_id, form=form, errors=errors, status_code=status_of(error)
        )
    flash(request, "Contact saved.")
    return RedirectResponse(f"/contacts/{contact_id}", status_code=303)


def _known(contact_id: int) -> int:
    if not 1 <= contact_id <= MAX_ID:
        raise NotFound(f"no contact with id {contact_id}")
    return contact_id


def _contact_page(
    request: Request,
    ctx: Ctx,
    who: Principal,
    contact_id: int,
    *,
    before: str = "",
    form: ContactForm | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    screen = contact_screens.contact_screen(ctx, who=who, contact_id=_known(contact_id))
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
    context: dict[str, Any] = {
        "contact": screen.contact, "lead": screen.lead, "labels": screen.labels,
        "activity": activity, "paged": bool(before), "stages": STAGES,
        "score": score, "score_chart": score_chart(score.history, ctx.clock.now()),
        "may_edit": may(who.role, Action.MANAGE_CONTACTS), "categories": CATEGORIES,
        "form": form or ContactForm.of(screen.contact, screen.custom), "errors": errors or {},
        "custom": screen.custom,
        "editable": EDITABLE, "flash": take_flash(request),
    }  # fmt: skip
    return render(request, "contacts_detail.html", context, user=who, status_code=status_code)
