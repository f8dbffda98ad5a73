"""Events in: stored and evaluated in one transaction (rule 11); retries change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from leadstreams.engine.index import LiveStream, StreamIndex
from leadstreams.errors import ErrorDetail, LeadstreamsError, NotFound
from leadstreams.rules import EventRecord
from leadstreams.schemas.contacts import ContactCreate
from leadstreams.schemas.events import EventCreate
from leadstreams.services.contacts import ContactChange, write_contact
from leadstreams.services.context import Context
from leadstreams.services.matching import ContactState, load_contacts, plan_matches
from leadstreams.store import contacts as contacts_store
from leadstreams.store import events as events_store
from leadstreams.store.match_writer import MatchToWrite, NewMatch, write_matches
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
    with ctx.uow() as uow:
        outcomes = _Batch(uow, ctx.live.current(uow.connection), items).record()
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


class _Batch:
    """A batch recorded set by set: a few statements for all its events, not a few per
    event. The outcome is the one of recording the items one after another: each contact's
    events are evaluated in the batch's order, each seeing the ones before it."""

    def __init__(self, uow: UnitOfWork, index: StreamIndex, items: Sequence[EventCreate]):
        self.uow, self.index, self.items = uow, index, items
        self.connection = uow.connection
        self.now = uow.clock.now()
        self.event_ids = [data.event_id or uuid.uuid4().hex for data in items]
        self.outcomes: list[Recorded | LeadstreamsError | None] = [None] * len(items)
        self.contact_of: dict[int, int] = {}  # position -> contact id
        self.made_contact: dict[int, ContactChange] = {}  # position -> the contact it created

    def record(self) -> list[Recorded | LeadstreamsError]:
        stored = events_store.stored(self.connection, self.event_ids)
        fresh = [p for p, event_id in enumerate(self.event_ids) if event_id not in stored]
        for position in set(range(len(self.items))) - set(fresh):
            self._duplicate(position, stored[self.event_ids[position]])
        firsts = self._contacts(fresh)
        records = {p: self._event_record(p) for p in firsts}
        candidates = {p: self.index.for_event(records[p]) for p in firsts}
        # The contacts as they are before this batch's events are stored; the events are
        # then added to them one at a time.
        states = load_contacts(
            self.uow,
            index=self.index,
            contact_ids=sorted({self.contact_of[p] for p in firsts if candidates[p]}),
            candidates=list({s.id: s for found in candidates.values() for s in found}.values()),
        )
        ids = self._store(firsts, records)
        kept = [p for p in firsts if self.event_ids[p] in ids]
        found = self._match(kept, records, candidates, states)
        for position in kept:
            made = self.made_contact.get(position)
            matches = (made.matches if made else []) + found.get(position, [])
            event_id = self.event_ids[position]
            self.outcomes[position] = Recorded(
                ids[event_id], event_id, self.contact_of[position], True, matches
            )
        self._repeats(fresh, firsts)
        done = [outcome for outcome in self.outcomes if outcome is not None]
        assert len(done) == len(self.items), "every item has its outcome"
        return done

    def _store(self, positions: list[int], records: dict[int, EventRecord]) -> dict[str, int]:
        """Stores the events: their ids by event_id, without those another process stored
        since we looked (they are retries after all)."""
        ids = events_store.add_many(self.connection, [self._row(p, records[p]) for p in positions])
        raced = [p for p in positions if self.event_ids[p] not in ids]
        if raced:
            stored_now = events_store.stored(self.connection, [self.event_ids[p] for p in raced])
            for position in raced:
                self._duplicate(position, stored_now[self.event_ids[position]])
        new_types = {records[p].type for p in positions if p not in raced}
        events_store.remember_types(
            self.connection, names=new_types - self.index.vocabulary.event_types.keys(), at=self.now
        )
        return ids

    def _match(
        self,
        positions: list[int],
        records: dict[int, EventRecord],
        candidates: dict[int, list[LiveStream]],
        states: dict[int, ContactState],
    ) -> dict[int, list[NewMatch]]:
        """Evaluates each event's candidates on its contact, in the batch's order, then
        writes the matches all at once: the new matches by position."""
        planned: list[tuple[int, MatchToWrite]] = []
        for position in positions:
            state = states.get(self.contact_of[position])
            if state is None:
                continue
            state.events.append(records[position])
            trigger = {"kind": "event", "event_id": self.event_ids[position],
                       "type": records[position].type}  # fmt: skip
            found = plan_matches(self.index, state, candidates[position], trigger, self.now)
            planned += [(position, match) for match in found]
        written = write_matches(self.connection, [match for _, match in planned], now=self.now)
        by_position: dict[int, list[NewMatch]] = {}
        for (position, _), match in zip(planned, written, strict=True):
            if match is not None:
                by_position.setdefault(position, []).append(match)
        return by_position

    def _duplicate(self, position: int, found: tuple[int, int]) -> None:
        event_id = self.event_ids[position]
        self.outcomes[position] = Recorded(found[0], event_id, found[1], False, [])

    def _contacts(self, fresh: list[int]) -> list[int]:
        """Finds each event's contact (an unknown email creates it); the positions that store
        an event: the first of each event_id whose contact is known."""
        items = self.items
        known = contacts_store.existing_ids(
            self.connection, {i for p in fresh if (i := items[p].contact_id) is not None}
        )
        by_email = contacts_store.ids_by_email(
            self.connection, {e for p in fresh if (e := items[p].email) is not None}
        )
        firsts: dict[str, int] = {}
        for position in fresh:
            data, event_id = items[position], self.event_ids[position]
            if event_id in firsts:
                continue  # a repeat within the batch: see _repeats
            if data.contact_id is not None:
                if data.contact_id not in known:
                    self.outcomes[position] = NotFound(
                        f"no contact with id {data.contact_id}",
                        [ErrorDetail("contact_id", "no such contact")],
                    )
                    continue
                self.contact_of[position] = data.contact_id
            else:
                assert data.email is not None
                if data.email not in by_email:
                    try:
                        with self.connection.begin_nested():
                            made = write_contact(
                                self.uow,
                                index=self.index,
                                existing=None,
                                data=ContactCreate(email=data.email),
                            )
                    except LeadstreamsError as error:
                        self.outcomes[position] = error
                        continue
                    by_email[data.email] = made.contact_id
                    self.made_contact[position] = made
                self.contact_of[position] = by_email[data.email]
            firsts[event_id] = position
        return list(firsts.values())

    def _repeats(self, fresh: list[int], firsts: list[int]) -> None:
        """An event_id given twice in a batch: the later items are retries of the first."""
        first_of = {self.event_ids[p]: p for p in firsts}
        for position in fresh:
            first = first_of.get(self.event_ids[position])
            if self.outcomes[position] is not None or first is None:
                continue
            outcome = self.outcomes[first]
            if isinstance(outcome, Recorded):
                self._duplicate(position, (outcome.id, outcome.contact_id))
            else:
                self.outcomes[position] = outcome

    def _event_record(self, position: int) -> EventRecord:
        data = self.items[position]
        return EventRecord(data.type, data.occurred_at or self.now, data.properties)

    def _row(self, position: int, record: EventRecord) -> dict[str, Any]:
        return {
            "event_id": self.event_ids[position],
            "contact_id": self.contact_of[position],
            "type": record.type,
            "occurred_at": record.occurred_at,
            "received_at": self.now,
            "properties": record.properties,
        }
