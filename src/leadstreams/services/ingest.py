"""Events in: stored and evaluated in one transaction (rule 11); retries change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from leadstreams.engine.index import StreamIndex
from leadstreams.errors import ErrorDetail, LeadstreamsError, NotFound
from leadstreams.rules import EventRecord
from leadstreams.schemas.contacts import ContactCreate
from leadstreams.schemas.events import EventCreate
from leadstreams.services.contacts import ContactChange, write_contact
from leadstreams.services.context import Context
from leadstreams.services.matching import NewMatch, evaluate_contact
from leadstreams.store import contacts as contacts_store
from leadstreams.store import events as events_store
from leadstreams.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Recorded:
    id: int
    event_id: str
    contact_id: int
    created: bool  # False: a retry of an event stored before; nothing changed
    matches: list[NewMatch]

    def as_dict(self) -> dict[str, Any]:
        refs = [{"stream_id": m.stream_id, "lead_id": m.lead_id} for m in self.matches]
        return {
            "id": self.id,
            "event_id": self.event_id,
            "contact_id": self.contact_id,
            "matches": refs,
        }


def record_event(ctx: Context, *, data: EventCreate) -> Recorded:
    outcome = record_many(ctx, [data])[0]
    if isinstance(outcome, LeadstreamsError):
        raise outcome
    return outcome


def record_events(ctx: Context, *, items: list[Any]) -> list[dict[str, Any]]:
    """A result per item; a bad item is reported and skipped, the good ones are kept."""
    results: list[dict[str, Any] | None] = [None] * len(items)
    valid: list[tuple[int, EventCreate]] = []
    for position, raw in enumerate(items):
        try:
            valid.append((position, EventCreate.model_validate(raw)))
        except ValidationError as error:
            results[position] = _error(position, "invalid event", validation_details(error))
    outcomes = record_many(ctx, [data for _, data in valid])
    for (position, _), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, LeadstreamsError):
            results[position] = _error(position, outcome.message, outcome.details)
        else:
            status = "created" if outcome.created else "duplicate"
            results[position] = {"index": position, "status": status, **outcome.as_dict()}
    return [result for result in results if result is not None]


def record_many(ctx: Context, items: Sequence[EventCreate]) -> list[Recorded | LeadstreamsError]:
    """Store and evaluate events in one transaction: an outcome per item, in order. An item
    that cannot be recorded gets its error and leaves no trace; the others are kept."""
    outcomes: list[Recorded | LeadstreamsError] = []
    with ctx.uow() as uow:
        index = ctx.live.current(uow.connection)
        for data in items:
            try:
                with uow.connection.begin_nested():
                    outcomes.append(_record(uow, index, data))
            except LeadstreamsError as error:
                outcomes.append(error)
        uow.commit()
    _count(ctx, [outcome for outcome in outcomes if isinstance(outcome, Recorded)])
    return outcomes


def _error(position: int, message: str, details: list[ErrorDetail]) -> dict[str, Any]:
    listed = [{"path": d.path, "message": d.message} for d in details]
    return {"index": position, "status": "error", "message": message, "details": listed}


def validation_details(error: ValidationError) -> list[ErrorDetail]:
    return [
        ErrorDetail(".".join(str(p) for p in item["loc"]) or "body", item["msg"])
        for item in error.errors()
    ]


def _count(ctx: Context, recorded: list[Recorded]) -> None:
    for item in recorded:
        if item.created:
            ctx.metrics.events_ingested.inc()
        for match in item.matches:
            ctx.metrics.matches_created.labels("live").inc()
            if match.lead_created:
                ctx.metrics.leads_created.inc()


def _record(uow: UnitOfWork, index: StreamIndex, data: EventCreate) -> Recorded:
    connection = uow.connection
    event_id = data.event_id or uuid.uuid4().hex
    existing = events_store.by_event_id(connection, event_id)
    if existing is not None:
        return Recorded(existing["id"], event_id, existing["contact_id"], False, [])
    contact = _contact(uow, index, data)
    now = uow.clock.now()
    occurred_at = data.occurred_at or now
    values = {
        "event_id": event_id,
        "contact_id": contact.contact_id,
        "type": data.type,
        "occurred_at": occurred_at,
        "received_at": now,
        "properties": data.properties,
    }
    new_id = events_store.add(connection, values=values)
    if new_id is None:  # the same event_id committed by another process a moment ago
        again = events_store.by_event_id(connection, event_id)
        assert again is not None
        return Recorded(again["id"], event_id, again["contact_id"], False, [])
    if data.type not in index.vocabulary.event_types:  # a new type joins the vocabulary
        events_store.remember_type(connection, name=data.type, at=now)
    event = EventRecord(data.type, occurred_at, data.properties)
    candidates = {s.id: s for s in index.for_event(event)}
    trigger = {"kind": "event", "event_id": event_id, "type": data.type}
    found = evaluate_contact(
        uow,
        index=index,
        contact_id=contact.contact_id,
        candidates=list(candidates.values()),
        trigger=trigger,
    )
    return Recorded(new_id, event_id, contact.contact_id, True, contact.matches + found)


def _contact(uow: UnitOfWork, index: StreamIndex, data: EventCreate) -> ContactChange:
    """The event's contact; an unknown email creates it (and that creation is a change too)."""
    if data.contact_id is not None:
        if contacts_store.get(uow.connection, data.contact_id) is None:
            raise NotFound(
                f"no contact with id {data.contact_id}",
                [ErrorDetail("contact_id", "no such contact")],
            )
        return ContactChange(data.contact_id, False, frozenset(), [])
    row = contacts_store.find(uow.connection, email=data.email, external_id=None)
    if row is not None:
        return ContactChange(row["id"], False, frozenset(), [])
    return write_contact(uow, index=index, existing=None, data=ContactCreate(email=data.email))
