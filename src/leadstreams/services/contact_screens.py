"""What the Contacts pages show around the contacts: each one's lead on the board, and the
labels of the custom fields (the page shows labels, not field names)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from leadstreams.rules.fields import FieldDef
from leadstreams.schemas.contacts import ContactRead
from leadstreams.services import contacts
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.store import contact_search
from leadstreams.store import fields as fields_store
from leadstreams.store.contact_search import LeadOnBoard


@dataclass(frozen=True)
class ContactScreen:
    contact: ContactRead
    lead: LeadOnBoard | None
    labels: dict[str, str]  # custom field labels by name
    custom: list[FieldDef]  # the custom fields, as the edit form offers them


def contact_screen(ctx: Context, *, who: Principal, contact_id: int) -> ContactScreen:
    with ctx.uow(read_only=True) as uow:
        contact = contacts.read_contact(uow, who=who, contact_id=contact_id)
        lead = contact_search.leads_on_board(uow.connection, [contact_id]).get(contact_id)
        vocabulary = fields_store.vocabulary(uow.connection)
        labels = {name: f.label for name, f in vocabulary.fields.items()}
        custom = [f for f in vocabulary.fields.values() if not f.builtin]
        return ContactScreen(contact, lead, labels, custom)


def leads_of(ctx: Context, *, contact_ids: Collection[int]) -> dict[int, LeadOnBoard]:
    with ctx.uow(read_only=True) as uow:
        return contact_search.leads_on_board(uow.connection, contact_ids)
