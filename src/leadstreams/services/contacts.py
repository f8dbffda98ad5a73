"""Contacts: upsert by email or external id; a change of a field a stream reads is evaluated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadstreams.domain.roles import Action, may
from leadstreams.engine.index import StreamIndex
from leadstreams.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from leadstreams.schemas.contacts import (
    ActivityRead,
    ContactCreate,
    ContactRead,
    ContactWrite,
    Timeline,
)
from leadstreams.services import keyset
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.services.custom_values import check_custom_values
from leadstreams.services.matching import NewMatch
from leadstreams.services.score_live import evaluate_change
from leadstreams.store import board as board_store
from leadstreams.store import contact_search
from leadstreams.store import contacts as contacts_store
from leadstreams.store import events as events_store
from leadstreams.store.contact_search import ContactFilter as ContactFilter
from leadstreams.store.contacts import Contact
from leadstreams.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ContactChange:
    contact_id: int
    created: bool
    changed: frozenset[str]
    matches: list[NewMatch]


def upsert_contact(ctx: Context, *, data: ContactCreate) -> tuple[ContactRead, ContactChange]:
    with ctx.uow() as uow:
        change = upsert_within(uow, index=ctx.live.current(uow), data=data)
        contact = contact_read(_get(uow, change.contact_id))
        uow.commit()
    count(ctx, change.matches)
    return contact, change


def upsert_within(uow: UnitOfWork, *, index: StreamIndex, data: ContactCreate) -> ContactChange:
    """`upsert_contact` in a unit of work the caller owns (and commits, then `count`s)."""
    existing = _find(uow, email=data.email, external_id=data.external_id)
    return write_contact(uow, index=index, existing=existing, data=data)


def update_contact(ctx: Context, *, contact_id: int, data: ContactWrite) -> ContactRead:
    with ctx.uow() as uow:
        index = ctx.live.current(uow)
        change = write_contact(uow, index=index, existing=_get(uow, contact_id), data=data)
        contact = contact_read(_get(uow, change.contact_id))
        uow.commit()
    count(ctx, change.matches)
    return contact


def count(ctx: Context, matches: list[NewMatch]) -> None:
    for match in matches:
        ctx.metrics.matches_created.labels("live").inc()
        if match.lead_created:
            ctx.metrics.leads_created.inc()


def _get(uow: UnitOfWork, contact_id: int) -> Contact:
    contact = contacts_store.get(uow.connection, contact_id=contact_id)
    if contact is None:
        raise NotFound(f"no contact with id {contact_id}")
    return contact


def _find(uow: UnitOfWork, *, email: str | None, external_id: str | None) -> Contact | None:
    by_email = contacts_store.find(uow.connection, email=email, external_id=None)
    by_external = contacts_store.find(uow.connection, email=None, external_id=external_id)
    if by_email and by_external and by_email.id != by_external.id:
        raise Conflict("'email' and 'external_id' belong to two different contacts")
    return by_email or by_external


def write_contact(
    uow: UnitOfWork, *, index: StreamIndex, existing: Contact | None, data: ContactWrite
) -> ContactChange:
    """Create or update, then evaluate the streams that read a changed field (rule 2)."""
    custom, errors = check_custom_values(data.fields or {}, index.vocabulary)
    if errors:
        raise InvalidInput("invalid custom fields", errors)
    if index.scoring.any_active and "lead_score" in data.model_fields_set:
        raise InvalidInput.at("lead_score", COMPUTED_SCORE)
    values = data.model_dump(exclude_unset=True, exclude={"fields"})
    now = uow.clock.now()
    contact_id = _create(uow, values, custom, now) if existing is None else None
    created = contact_id is not None
    if contact_id is not None:
        changed = frozenset(index.vocabulary.fields)  # a new contact: every field is new
    else:
        # Another process may have created it between our look and our insert.
        existing = existing or _find(uow, email=data.email, external_id=data.external_id)
        if existing is None:
            raise Conflict("the contact could not be created; try again")
        contact_id, changed = existing.id, _update(uow, existing, values, custom, now)
    trigger = {"kind": "contact_update", "fields": sorted(changed)}
    found = evaluate_change(
        uow, index=index, contact_id=contact_id, changed=changed, trigger=trigger
    )
    return ContactChange(contact_id, created, changed, found)


COMPUTED_SCORE = (
    "lead_score is computed while a score set is active; "
    "change it with POST /contacts/{id}/score-adjustments"
)


def _create(
    uow: UnitOfWork, values: dict[str, Any], custom: dict[str, Any], now: datetime
) -> int | None:
    row = {"category": "prospect", "lead_score": 0, "tags": [], **values}
    row = {k: v for k, v in row.items() if v is not None}
    kept = {k: v for k, v in custom.items() if v is not None}
    row |= {"custom": contacts_store.custom_json(kept), "created_at": now, "updated_at": now}
    return contacts_store.create(uow.connection, values=row)


def _update(
    uow: UnitOfWork,
    existing: Contact,
    values: dict[str, Any],
    custom: dict[str, Any],
    now: datetime,
) -> frozenset[str]:
    values = {k: v for k, v in values.items() if not (k in _REQUIRED and v is None)}
    changed = {name for name, value in values.items() if getattr(existing, name) != value}
    old_custom = dict(existing.custom or {})
    new_custom = dict(old_custom)
    for name, value in contacts_store.custom_json(custom).items():
        if value is None:
            new_custom.pop(name, None)
        else:
            new_custom[name] = value
    changed |= {name for name in custom if old_custom.get(name) != new_custom.get(name)}
    if not changed:
        return frozenset()
    update = {name: values[name] for name in changed if name in values}
    update |= {"custom": new_custom, "updated_at": now}
    contacts_store.update_values(uow.connection, contact_id=existing.id, values=update)
    return frozenset(changed | {"updated_at"})


_REQUIRED = ("category", "lead_score", "tags")


def contact_read(contact: Contact) -> ContactRead:
    """The API's shape of a contact: its custom values as `fields`."""
    shown = {name: getattr(contact, name) for name in ContactRead.model_fields if name != "fields"}
    return ContactRead(**shown, fields=dict(contact.custom or {}))


def _visible(uow: UnitOfWork, who: Principal, contact_id: int) -> Contact:
    """Sales see a contact only through a lead on their teams' board; otherwise 404."""
    contact = contacts_store.get(uow.connection, contact_id=contact_id)
    if contact is None or (
        not may(who.role, Action.READ_CONTACTS)
        and not board_store.contact_visible(
            uow.connection, contact_id=contact_id, team_ids=who.team_ids
        )
    ):
        raise NotFound(f"no contact with id {contact_id}")
    return contact


def get_contact(ctx: Context, *, who: Principal, contact_id: int) -> ContactRead:
    with ctx.uow(read_only=True) as uow:
        return read_contact(uow, who=who, contact_id=contact_id)


def read_contact(uow: UnitOfWork, *, who: Principal, contact_id: int) -> ContactRead:
    """The contact in this unit of work, if `who` may see it."""
    return contact_read(_visible(uow, who, contact_id))


def update_contact_as(
    ctx: Context, *, who: Principal, contact_id: int, data: ContactWrite
) -> ContactRead:
    if not may(who.role, Action.MANAGE_CONTACTS):
        who.require(Action.WORK_LEADS)
        if data.model_fields_set - {"category"}:
            raise PermissionDenied("sales may change only the contact's category")
        with ctx.uow(read_only=True) as uow:
            _visible(uow, who, contact_id)
    return update_contact(ctx, contact_id=contact_id, data=data)


def search_contacts(
    ctx: Context,
    *,
    q: str | None,
    limit: int,
    after_id: int,
    filters: ContactFilter | None = None,
) -> list[ContactRead]:
    """Contacts by id after `after_id`: those `q` finds, or those the filters select."""
    chosen = filters or ContactFilter(q=q)
    with ctx.uow(read_only=True) as uow:
        found = contact_search.search(
            uow.connection, filters=chosen, limit=limit, after_id=after_id, now=uow.clock.now()
        )
    return [contact_read(contact) for contact in found]


def timeline(
    ctx: Context, *, who: Principal, contact_id: int, limit: int, cursor: str | None
) -> Timeline:
    with ctx.uow(read_only=True) as uow:
        return read_timeline(uow, who=who, contact_id=contact_id, limit=limit, cursor=cursor)


def read_timeline(
    uow: UnitOfWork, *, who: Principal, contact_id: int, limit: int, cursor: str | None
) -> Timeline:
    """A page of the contact's activity, newest first by when it happened, in this unit of
    work; `cursor` is the `next_cursor` of the page before."""
    before = keyset.decode(cursor)
    _visible(uow, who, contact_id)
    found = events_store.timeline(
        uow.connection, contact_id=contact_id, limit=limit + 1, before=before
    )
    items = [ActivityRead.model_validate(event, from_attributes=True) for event in found[:limit]]
    more = len(found) > limit and items
    return Timeline(
        items=items,
        next_cursor=keyset.encode(items[-1].occurred_at, items[-1].id) if more else None,
    )
