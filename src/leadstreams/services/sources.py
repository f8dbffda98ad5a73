"""Messages of the Segment tracking API (api.md, "Sources"), through the ingestion we have.

- `identify` upserts its contact (userId -> external_id, traits -> fields) and joins the
  anonymousId it names: that visitor's waiting events become the contact's events, recorded
  by `ingest` in the same transaction and evaluated as arriving now (docs/sources.md).
- `track` and `page` become events (`messageId` -> `event_id`, so a retried batch changes
  nothing) handed to the group-commit batcher, which records them with `ingest`.
- With only an anonymousId, an event waits (store/anonymous.py) until an identify joins
  its visitor, and is forgotten after `ANONYMOUS_DAYS`; once joined, it goes to the contact.

Within one call, identify messages are applied before track and page messages, so a batch
that identifies a user and tracks them reads the same whatever its order.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from leadstreams.domain import segment
from leadstreams.engine.index import StreamIndex
from leadstreams.errors import LeadstreamsError
from leadstreams.schemas.contacts import ContactCreate
from leadstreams.schemas.events import EventCreate
from leadstreams.schemas.segment import MESSAGE_BYTES, SegmentMessage
from leadstreams.services import contacts as contacts_service
from leadstreams.services import ingest
from leadstreams.services.batcher import EventBatcher
from leadstreams.services.context import Context
from leadstreams.services.ingest import Recorded
from leadstreams.store import anonymous as anonymous_store
from leadstreams.store.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MessageError:
    index: int  # the message's place in the batch
    reason: str


@dataclass(slots=True)
class _Event:
    index: int
    data: EventCreate  # named by external_id (userId) or, anonymous, not yet by anyone
    anonymous_id: str | None  # set when the message has no userId


def record_messages(
    ctx: Context, batcher: EventBatcher, messages: list[Any], *, sizes: list[int] | None = None
) -> list[MessageError]:
    """Records what can be recorded; the errors of the others, by index (also logged)."""
    errors: list[MessageError] = []
    identifies: list[tuple[int, SegmentMessage]] = []
    events: list[_Event] = []
    for index, raw in enumerate(messages):
        if sizes is not None and sizes[index] > MESSAGE_BYTES:
            errors.append(MessageError(index, f"the message is over {MESSAGE_BYTES} bytes"))
            continue
        try:
            message = SegmentMessage.model_validate(raw)
            if message.type == "identify":
                identifies.append((index, message))
            else:
                events.append(_event(index, message))
        except (ValidationError, ValueError) as error:
            errors.append(MessageError(index, _reason(error)))
    to_contacts = _identify_and_hold(ctx, identifies, events, errors)
    futures = batcher.submit_many([event.data for event in to_contacts])
    errors += _outcomes([(event.index, f) for event, f in zip(to_contacts, futures, strict=True)])
    refused = sorted(errors, key=lambda e: e.index)
    for item in refused:
        log.warning("tracking message %d not recorded: %s", item.index, item.reason)
    return refused


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(error)


def _event(index: int, message: SegmentMessage) -> _Event:
    """The event a track or page message records (ValueError or ValidationError if none)."""
    if message.type == "page":
        type_ = segment.PAGE_VISITED
        page = message.context.get("page")
        properties = segment.page_properties(
            message.properties, page if isinstance(page, dict) else {}, message.name
        )
    else:
        type_ = segment.event_type(message.event or "") or ""
        if not type_:
            raise ValueError(f"event: {message.event!r} gives no event type (a-z, 0-9, _)")
        properties = message.properties
    who = message.userId or message.anonymousId
    if who is None:
        raise ValueError("give 'userId' or 'anonymousId'")
    data = EventCreate(
        event_id=message.messageId or uuid.uuid4().hex,
        external_id=who,  # the anonymous id only to check the event: replaced below
        type=type_,
        occurred_at=message.timestamp or message.originalTimestamp,
        properties=properties,
    )
    return _Event(index, data, None if message.userId else message.anonymousId)


def _identify_and_hold(
    ctx: Context,
    identifies: list[tuple[int, SegmentMessage]],
    events: list[_Event],
    errors: list[MessageError],
) -> list[_Event]:
    """Applies the identify messages (with the joins they make) and keeps the anonymous
    events, in one transaction; the events that go to contacts, by external_id or id."""
    anonymous = [event for event in events if event.anonymous_id is not None]
    named = [event for event in events if event.anonymous_id is None]
    if not identifies and not anonymous:
        return named
    with ctx.uow() as uow:
        index = ctx.live.current(uow)
        joined: list[EventCreate] = []
        for position, message in identifies:
            try:
                with uow.connection.begin_nested():
                    joined += _identify(uow, index, message)
            except (LeadstreamsError, ValidationError) as error:
                errors.append(MessageError(position, _described(error)))
        named += _hold(uow, anonymous)
        outcomes = ingest.record_within(uow, index, joined)
        uow.commit()
    ingest.count(ctx, outcomes)
    for outcome in outcomes:  # a joined event refused: kept in the log (it was accepted)
        if isinstance(outcome, LeadstreamsError):
            log.warning("an anonymous event could not join its contact: %s", outcome.message)
    return named


def _described(error: Exception) -> str:
    if isinstance(error, LeadstreamsError):
        details = "; ".join(f"{d.path}: {d.message}" for d in error.details)
        return f"{error.message} ({details})" if details else error.message
    return _reason(error)


def _identify(uow: UnitOfWork, index: StreamIndex, message: SegmentMessage) -> list[EventCreate]:
    """Upserts the contact and joins the anonymousId; the joined visitor's events."""
    fields, custom = segment.contact_fields(_traits(message), _custom_names(index))
    if message.userId is None and "email" not in fields:
        if message.anonymousId is not None:  # nobody to join yet: the visitor is seen
            anonymous_store.seen(uow.connection, anonymous_id=message.anonymousId,
                                 now=uow.clock.now())  # fmt: skip
        return []
    body = fields | ({"external_id": message.userId} if message.userId else {})
    data = ContactCreate.model_validate(body | ({"fields": custom} if custom else {}))
    change = contacts_service.upsert_within(uow, index=index, data=data)
    if message.anonymousId is None:
        return []
    now = uow.clock.now()
    anonymous_store.join(uow.connection, anonymous_id=message.anonymousId,
                         contact_id=change.contact_id, now=now)  # fmt: skip
    waiting = anonymous_store.take_events(uow.connection, anonymous_id=message.anonymousId)
    return [
        EventCreate(event_id=event.event_id, contact_id=change.contact_id, type=event.type,
                    occurred_at=event.occurred_at, properties=event.properties)
        for event in waiting
    ]  # fmt: skip


def _traits(message: SegmentMessage) -> dict[str, Any]:
    """The message's traits; RudderStack's client sends them in `context.traits` instead."""
    in_context = message.context.get("traits")
    return (in_context if isinstance(in_context, dict) else {}) | message.traits


def _custom_names(index: StreamIndex) -> list[str]:
    vocabulary = index.vocabulary
    return [name for name, field in vocabulary.fields.items() if not field.builtin]


def _hold(uow: UnitOfWork, anonymous: list[_Event]) -> list[_Event]:
    """Keeps the anonymous events of visitors not yet joined; those of joined visitors go
    to their contacts (returned, named by contact id)."""
    now = uow.clock.now()
    rows, to_contacts = [], []
    for event in anonymous:
        assert event.anonymous_id is not None
        contact_id = anonymous_store.seen(uow.connection, anonymous_id=event.anonymous_id, now=now)
        data = event.data
        if contact_id is not None:
            update = {"external_id": None, "contact_id": contact_id}
            to_contacts.append(_Event(event.index, data.model_copy(update=update), None))
            continue
        rows.append({
            "event_id": data.event_id, "anonymous_id": event.anonymous_id, "type": data.type,
            "occurred_at": data.occurred_at or now, "received_at": now,
            "properties": data.properties,
        })  # fmt: skip
    anonymous_store.add_events(uow.connection, rows)
    return to_contacts


def _outcomes(futures: list[tuple[int, Future[Recorded]]]) -> list[MessageError]:
    errors = []
    for index, future in futures:
        try:
            future.result()
        except LeadstreamsError as error:
            errors.append(MessageError(index, _described(error)))
    return errors


def forget_old_visitors(ctx: Context) -> tuple[int, int]:
    """Drops the anonymous events and visitors older than `ANONYMOUS_DAYS` (run by the
    worker): (events, visitors) dropped."""
    with ctx.uow() as uow:
        cutoff = uow.clock.now() - timedelta(days=segment.ANONYMOUS_DAYS)
        dropped = anonymous_store.forget_before(uow.connection, cutoff=cutoff)
        uow.commit()
    return dropped
