"""Events in: stored and evaluated in one transaction (rule 11); retries change nothing."""

from __future__ import annotations

import uuid
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
    with ctx.uow() as uow:
        recorded = _record(uow, ctx.live.current(uow.connection), data)
        uow.commit()
    _count(ctx, [recorded])
    return recorded


def record_events(ctx: Context, *, items: list[Any]) -> list[dict[str, Any]]:
    """A result per item; a bad item is reported and skipped, the good ones are kept."""
    results: list[dict[str, Any]] = []
    recorded: list[Recorded] = []
    with ctx.uow() as uow:
        index = ctx.live.current(uow.connection)
        for position, raw in enumerate(items):
            try:
                data = EventCreate.model_validate(raw)
                with uow.connection.begin_nested():
                    done = _record(uow, index, data)
            except ValidationError as error:
                results.append(_error(position, "invalid event", validation_details(error)))
                continue
            except LeadstreamsError as error:
                results.append(_error(position, error.message, error.details))
                continue
            recorded.append(done)
            status = "created" if done.created else "duplicate"
            results.append({"index": position, "status": status, **done.as_dict()})
        uow.commit()
    _count(ctx, recorded)
    return results


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
