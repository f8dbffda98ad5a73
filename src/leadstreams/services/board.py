"""Working a lead from the board's screens: move or assign it, page its activity, set its
contact's category. The screens' reads are in `services.views`."""

from __future__ import annotations

from dataclasses import dataclass

from leadstreams.domain.roles import Action
from leadstreams.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from leadstreams.schemas.contacts import ContactRead, ContactWrite, Timeline
from leadstreams.schemas.leads import LeadUpdate
from leadstreams.services import contacts, leads, views
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.services.views import Cards


def work(ctx: Context, *, who: Principal, lead_id: int, data: LeadUpdate) -> Cards:
    """Change a lead's stage, assignee or hidden flag; the lead as a one-card page. A lead
    that left the board is not worked from it (LeadLeft says how it left)."""
    with ctx.uow(read_only=True) as uow:
        leads.check_on_board(uow, who=who, lead_id=lead_id)
    lead = leads.update_lead(ctx, who=who, lead_id=lead_id, data=data)
    with ctx.uow(read_only=True) as uow:
        return views.cards(uow, [lead], next_cursor=None)


def timeline(
    ctx: Context, *, who: Principal, lead_id: int, limit: int, cursor: str | None = None
) -> Timeline:
    """A page of the lead's contact's activity, newest first by when it happened."""
    who.require(Action.WORK_LEADS)
    with ctx.uow(read_only=True) as uow:
        contact_id = leads.read_lead(uow, who=who, lead_id=lead_id).contact.id
        return contacts.read_timeline(
            uow, who=who, contact_id=contact_id, limit=limit, cursor=cursor
        )


def set_category(ctx: Context, *, who: Principal, lead_id: int, data: ContactWrite) -> ContactRead:
    """Change the category of the lead's contact (what sales may change of a contact)."""
    who.require(Action.WORK_LEADS)
    contact_id = leads.get_lead(ctx, who=who, lead_id=lead_id).contact.id
    return contacts.update_contact_as(ctx, who=who, contact_id=contact_id, data=data)


MAX_BULK = 100  # leads in one bulk action


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    done: list[int]
    refused: list[tuple[int, str]]  # lead id, and why


def work_many(
    ctx: Context, *, who: Principal, lead_ids: list[int], data: LeadUpdate
) -> BulkOutcome:
    """The same change to each lead, each made as the single action is, with its checks (a
    lead `who` may not see or that left the board, an assignee they may not choose): a lead
    refused is reported and the others are changed, each in its own transaction."""
    who.require(Action.WORK_LEADS)
    if not 0 < len(lead_ids) <= MAX_BULK:
        raise InvalidInput.at("lead", f"choose between 1 and {MAX_BULK} leads")
    done, refused = [], []
    for lead_id in dict.fromkeys(lead_ids):
        try:
            work(ctx, who=who, lead_id=lead_id, data=data)
        except (NotFound, InvalidInput, Conflict, PermissionDenied) as error:
            refused.append((lead_id, error.message))
        else:
            done.append(lead_id)
    return BulkOutcome(done, refused)
