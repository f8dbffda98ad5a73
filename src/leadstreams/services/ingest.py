"""Events in: stored and evaluated in one transaction (rule 11); retries change nothing."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from leadstreams.engine.index import SCORE_FIELD, LiveStream, StreamIndex, union
from leadstreams.errors import ErrorDetail, LeadstreamsError, NotFound, error_path
from leadstreams.rules import EventRecord
from leadstreams.schemas.contacts import ContactCreate
from leadstreams.schemas.events import (
    ErrorDetailRead,
    EventCreate,
    EventCreated,
    EventRecorded,
    EventRefused,
    MatchRef,
)
from leadstreams.services.contacts import ContactChange, write_contact
from leadstreams.services.context import Context
from leadstreams.services.matching import ContactState, load_contacts, plan_matches
from leadstreams.services.score_live import LiveScores, score_streams
from leadstreams.store import contacts as contacts_store
from leadstreams.store import events as events_store
from leadstreams.store.match_writer import MatchToWrite, NewMatch, write_matches
from leadstreams.store.retry import run_retrying
from leadstreams.store.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recorded:
    id: int
    event_id: str
    contact_id: int
    created: bool  # False: a retry of an event stored before; nothing changed
    matches: list[NewMatch]

    def refs(self) -> list[MatchRef]:
        return [MatchRef(stream_id=m.stream_id, lead_id=m.lead_id) for m in self.matches]

    def read(self) -> EventCreated:
        return EventCreated(
            id=self.id, event_id=self.event_id, contact_id=self.contact_id, matches=self.refs()
        )


NOT_STORED = "this event could not be stored (an unexpected error, logged); the others were"


def record_events(ctx: Context, *, items: list[Any]) -> list[EventRecorded | EventRefused]:
    """A result per item; a bad item is reported and skipped, the good ones are kept."""
    results: list[EventRecorded | EventRefused | None] = [None] * len(items)
    valid: list[tuple[int, EventCreate]] = []
    for position, raw in enumerate(items):
        try:
            valid.append((position, EventCreate.model_validate(raw)))
        except ValidationError as error:
            results[position] = _refused(position, "invalid event", validation_details(error))
    outcomes = record_apart(ctx, [data for _, data in valid])
    for (position, _), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, LeadstreamsError):
            results[position] = _refused(position, outcome.message, outcome.details)
        elif isinstance(outcome, Exception):
            results[position] = _refused(position, NOT_STORED, [])
        else:
            status: Literal["created", "duplicate"] = "created" if outcome.created else "duplicate"
            results[position] = EventRecorded(
                index=position, status=status, id=outcome.id, event_id=outcome.event_id,
                contact_id=outcome.contact_id, matches=outcome.refs(),
            )  # fmt: skip
    return [result for result in results if result is not None]


Record = Callable[[Context, Sequence[EventCreate]], list["Recorded | LeadstreamsError"]]
ATTEMPTS = 3  # in all, when a deadlock or serialization failure rolled a batch back


def record_apart(
    ctx: Context, items: Sequence[EventCreate], *, record: Record | None = None
) -> list[Recorded | LeadstreamsError | Exception]:
    """`record_many` (or `record`) for a batch, with what can fail the batch's transaction
    kept to the item at fault: a deadlock or serialization failure records the batch again,
    and any other error records each half again, down to the item that fails alone (its
    outcome is then that error). Halves are recorded in order, so a contact's events keep
    their order; a batch without a fault costs one transaction, one with a fault about
    2·log2(n) more."""
    work = record or record_many

    def attempt(part: Sequence[EventCreate]) -> list[Recorded | LeadstreamsError]:
        def met(code: str) -> None:
            log.info("a batch of %d events met %s; recording it again", len(part), code)

        return run_retrying(work=lambda: work(ctx, part), attempts=ATTEMPTS, on_retry=met)

    def apart(part: Sequence[EventCreate]) -> list[Recorded | LeadstreamsError | Exception]:
        try:
            outcomes: list[Recorded | LeadstreamsError | Exception] = [*attempt(part)]
        except Exception as error:
            if len(part) == 1:
                log.exception("an event could not be recorded (event_id %s)", part[0].event_id)
                return [error]
            log.warning("a batch of %d events failed (%s); recording its halves", len(part), error)
            middle = len(part) // 2
            return apart(part[:middle]) + apart(part[middle:])
        if len(outcomes) != len(part):
            raise RuntimeError(f"{len(outcomes)} outcomes for {len(part)} events")
        return outcomes

    return apart(items) if items else []


def record_many(ctx: Context, items: Sequence[EventCreate]) -> list[Recorded | LeadstreamsError]:
    """Store and evaluate events in one transaction: an outcome per item, in order. An item
    that cannot be recorded gets its error and leaves no trace; the others are kept."""
    with ctx.uow() as uow:
        outcomes = record_within(uow, ctx.live.current(uow), items)
        uow.commit()
    count(ctx, outcomes)
    return outcomes


def record_within(
    uow: UnitOfWork, index: StreamIndex, items: Sequence[EventCreate]
) -> list[Recorded | LeadstreamsError]:
    """`record_many` in a unit of work the caller owns (and commits, then `count`s): for a
    use case whose events must be recorded with its other changes, or not at all."""
    return _Batch(uow, index, items).record()


def _refused(position: int, message: str, details: list[ErrorDetail]) -> EventRefused:
    listed = [ErrorDetailRead(path=d.path, message=d.message) for d in details]
    return EventRefused(index=position, status="error", message=message, details=listed)


def validation_details(error: ValidationError) -> list[ErrorDetail]:
    return [ErrorDetail(error_path(item["loc"]) or "body", item["msg"]) for item in error.errors()]


def count(ctx: Context, outcomes: Sequence[Recorded | LeadstreamsError]) -> None:
    """The metrics of what a committed unit of work recorded."""
    for item in outcomes:
        if isinstance(item, LeadstreamsError):
            continue
        if item.created:
            ctx.metrics.events_ingested.inc()
        for match in item.matches:
            ctx.metrics.matches_created.labels("live").inc()
            if match.lead_created:
                ctx.metrics.leads_created.inc()


@dataclass(slots=True)
class _Item:
    """One event of a batch, as the steps of recording it learn about it."""

    position: int
    data: EventCreate
    event_id: str
    outcome: Recorded | LeadstreamsError | None = None
    id: int | None = None  # the stored event's
    contact_id: int | None = None
    made_contact: ContactChange | None = None  # the contact its e-mail created
    record: EventRecord | None = None  # the event as rules read it
    candidates: list[LiveStream] = field(default_factory=list)  # the streams it may trigger
    scores: bool = False  # a score rule counts events like it: the contact's score is redone
    matches: list[NewMatch] = field(default_factory=list)

    def duplicate_of(self, found: tuple[int, int]) -> None:
        self.outcome = Recorded(found[0], self.event_id, found[1], False, [])


class _Batch:
    """A batch recorded set by set: a few statements for all its events, not a few per
    event. The outcome is the one of recording the items one after another: each contact's
    events are evaluated in the batch's order, each seeing the ones before it."""

    def __init__(self, uow: UnitOfWork, index: StreamIndex, items: Sequence[EventCreate]):
        self.uow, self.index = uow, index
        self.connection = uow.connection
        self.now = uow.clock.now()
        self.scores: LiveScores | None = None
        self.items = [
            _Item(position, data, data.event_id or uuid.uuid4().hex)
            for position, data in enumerate(items)
        ]

    def record(self) -> list[Recorded | LeadstreamsError]:
        scoring = self.index.scoring
        fresh = self._known_events()
        firsts = self._find_contacts(fresh)
        for item in firsts:
            item.record = EventRecord(item.data.type, item.data.occurred_at or self.now,
                                      item.data.properties)  # fmt: skip
            item.candidates = self.index.for_event(item.record)
            item.scores = scoring.any_active and scoring.for_event(item.record)
        scored = sorted({i.contact_id for i in firsts if i.scores and i.contact_id})
        by_score = score_streams(self.index) if scored else []  # a score change can trigger
        # The contacts as they are before this batch's events are stored; the events are
        # then added to them one at a time.
        candidates = [s for i in firsts for s in i.candidates] + by_score
        states = load_contacts(
            self.uow,
            index=self.index,
            contact_ids=sorted(
                {i.contact_id for i in firsts if (i.candidates or i.scores) and i.contact_id}
            ),
            candidates=union(candidates),
            extra_reads=scoring.reads if scored else (),
        )
        self.scores = LiveScores(self.uow, scoring, scored) if scored else None
        stored = self._store(firsts)
        self._match(stored, states)
        for item in stored:
            matches = (item.made_contact.matches if item.made_contact else []) + item.matches
            assert item.id is not None and item.contact_id is not None
            item.outcome = Recorded(item.id, item.event_id, item.contact_id, True, matches)
        self._repeats(fresh, firsts)
        done = [item.outcome for item in self.items if item.outcome is not None]
        assert len(done) == len(self.items), "every item has its outcome"
        return done

    def _known_events(self) -> list[_Item]:
        """The items whose event_id is new; the others are retries of a stored event."""
        stored = events_store.stored(self.connection, [item.event_id for item in self.items])
        for item in self.items:
            if item.event_id in stored:
                item.duplicate_of(stored[item.event_id])
        return [item for item in self.items if item.event_id not in stored]

    def _find_contacts(self, fresh: list[_Item]) -> list[_Item]:
        """Finds each event's contact (an unknown email creates it); the items that store
        an event: the first of each event_id whose contact is known."""
        known = contacts_store.existing_ids(
            self.connection, {i.data.contact_id for i in fresh if i.data.contact_id is not None}
        )
        by_email = contacts_store.ids_by_email(
            self.connection, {i.data.email for i in fresh if i.data.email is not None}
        )
        by_external_id = contacts_store.ids_by_external_id(
            self.connection, {i.data.external_id for i in fresh if i.data.external_id is not None}
        )
        firsts: dict[str, _Item] = {}
        for item in fresh:
            if item.event_id in firsts:
                continue  # a repeat within the batch: see _repeats
            data = item.data
            if data.contact_id is not None:
                if data.contact_id not in known:
                    item.outcome = NotFound(
                        f"no contact with id {data.contact_id}",
                        [ErrorDetail("contact_id", "no such contact")],
                    )
                    continue
                item.contact_id = data.contact_id
            elif data.email is not None:
                item.contact_id = self._contact_for(item, by_email, data.email, "email")
            else:
                assert data.external_id is not None
                item.contact_id = self._contact_for(
                    item, by_external_id, data.external_id, "external_id"
                )
            if item.contact_id is not None:
                firsts[item.event_id] = item
        return list(firsts.values())

    def _contact_for(self, item: _Item, known: dict[str, int], key: str, name: str) -> int | None:
        """The contact of this e-mail or external id; an unknown one creates it (the item
        gets the error and None when that is refused)."""
        if key not in known:
            try:
                with self.connection.begin_nested():
                    made = write_contact(
                        self.uow,
                        index=self.index,
                        existing=None,
                        data=ContactCreate.model_validate({name: key}),
                    )
            except LeadstreamsError as error:
                item.outcome = error
                return None
            known[key] = made.contact_id
            item.made_contact = made
        return known[key]

    def _store(self, items: list[_Item]) -> list[_Item]:
        """Stores the events; the items stored, without those another process stored since
        we looked (they are retries after all)."""
        ids = events_store.add_many(self.connection, [self._row(item) for item in items])
        raced = [item for item in items if item.event_id not in ids]
        if raced:
            stored_now = events_store.stored(self.connection, [item.event_id for item in raced])
            for item in raced:
                item.duplicate_of(stored_now[item.event_id])
        stored = [item for item in items if item.event_id in ids]
        for item in stored:
            item.id = ids[item.event_id]
        new_types = {item.data.type for item in stored}
        events_store.remember_types(
            self.connection, names=new_types - self.index.vocabulary.event_types.keys(), at=self.now
        )
        return stored

    def _match(self, items: list[_Item], states: dict[int, ContactState]) -> None:
        """Evaluates each event's candidates on its contact, in the batch's order, then
        writes the matches all at once."""
        planned: list[tuple[_Item, MatchToWrite]] = []
        for item in items:
            state = states.get(item.contact_id) if item.contact_id is not None else None
            if state is None or item.record is None:
                continue
            state.events.append(item.record)
            trigger = {"kind": "event", "event_id": item.event_id, "type": item.record.type}
            candidates = item.candidates
            if item.scores and self._rescore(item, state):
                # The new score is a field change for the streams that read it (those its
                # value can satisfy: `StreamIndex.for_score`).
                candidates = union(candidates, self.index.for_score(state.fields[SCORE_FIELD]))
            found = plan_matches(self.index, state, candidates, trigger, self.now)
            planned += [(item, match) for match in found]
        if self.scores is not None:
            self.scores.write()
        written = write_matches(self.connection, [match for _, match in planned], now=self.now)
        for (item, _), match in zip(planned, written, strict=True):
            if match is not None:
                item.matches.append(match)

    def _rescore(self, item: _Item, state: ContactState) -> bool:
        """The contact's score after the item's event, before the streams see it."""
        assert self.scores is not None and item.record is not None
        cause = {"cause": "event", "event_id": item.event_id, "type": item.record.type}
        return self.scores.update(state.id, state.fields, state.events, self.now, cause)

    def _repeats(self, fresh: list[_Item], firsts: list[_Item]) -> None:
        """An event_id given twice in a batch: the later items are retries of the first."""
        first_of = {item.event_id: item for item in firsts}
        for item in fresh:
            first = first_of.get(item.event_id)
            if item.outcome is not None or first is None:
                continue
            if isinstance(first.outcome, Recorded):
                item.duplicate_of((first.outcome.id, first.outcome.contact_id))
            else:
                item.outcome = first.outcome

    def _row(self, item: _Item) -> dict[str, Any]:
        assert item.record is not None
        return {
            "event_id": item.event_id,
            "contact_id": item.contact_id,
            "type": item.record.type,
            "occurred_at": item.record.occurred_at,
            "received_at": self.now,
            "properties": item.record.properties,
        }
