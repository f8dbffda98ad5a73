"""Evaluate contacts against candidate streams and record the new matches (rules 2-4).

Evaluation plans the matches in memory, a contact's changes in order, each seeing the
matches planned before it; the writing is then a few statements for all of them. The unique
keys (one current match per stream and contact, one open lead per contact) decide races with
other processes: a planned match that loses one is left out, with the lead made for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadstreams.domain.matching import CurrentMatch, may_requalify
from leadstreams.engine.index import LiveStream, StreamIndex
from leadstreams.rules import EventRecord
from leadstreams.store import contacts as contacts_store
from leadstreams.store import events as events_store
from leadstreams.store import leads as leads_store
from leadstreams.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class NewMatch:
    stream_id: int
    lead_id: int
    match_id: int
    lead_created: bool


@dataclass(slots=True)
class ContactState:
    """What evaluating a contact reads, kept up to date as its matches are planned."""

    id: int
    fields: dict[str, Any]
    events: list[EventRecord]
    has_open_lead: bool
    # The contact's current matches, by stream id.
    current: dict[int, tuple[int | None, CurrentMatch]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlannedMatch:
    stream_id: int
    contact_id: int
    trigger: dict[str, Any]
    explanation: dict[str, Any]
    supersedes: int | None  # the current match it replaces (the stream requalifies)


def load_contacts(
    uow: UnitOfWork,
    *,
    index: StreamIndex,
    contact_ids: Sequence[int],
    candidates: Sequence[LiveStream],
) -> dict[int, ContactState]:
    """The state of these contacts for evaluating `candidates`, in a few queries for all."""
    connection, now = uow.connection, uow.clock.now()
    rows = contacts_store.get_many(connection, contact_ids)
    # The stage costs a query: read it only when a candidate's rules read it.
    reads_stage = any("lead_stage" in stream.reads.fields for stream in candidates)
    stages = contacts_store.lead_stages(connection, list(rows)) if reads_stage else {}
    events = events_store.for_rules_of(
        connection,
        contact_ids=list(rows),
        types={t for stream in candidates for t in stream.reads.event_types},
        since=_oldest_needed(candidates, now),
    )
    open_leads = leads_store.open_leads_of(connection, list(rows))
    states = {
        contact_id: ContactState(
            contact_id,
            contacts_store.rule_fields(
                row, stages.get(contact_id), index.vocabulary.custom_datetime_fields
            ),
            events.get(contact_id, []),
            contact_id in open_leads,
        )
        for contact_id, row in rows.items()
    }
    for (stream_id, contact_id), current in leads_store.current_matches_of(
        connection, list(rows)
    ).items():
        states[contact_id].current[stream_id] = current
    return states


def evaluate_contact(
    uow: UnitOfWork,
    *,
    index: StreamIndex,
    contact_id: int,
    candidates: Sequence[LiveStream],
    trigger: dict[str, Any],
) -> list[NewMatch]:
    """Evaluate each candidate stream for the contact now; record the matches it makes."""
    if not candidates:
        return []
    states = load_contacts(uow, index=index, contact_ids=[contact_id], candidates=candidates)
    if contact_id not in states:
        return []
    now = uow.clock.now()
    planned = plan_matches(index, states[contact_id], candidates, trigger, now)
    return [match for match in write_matches(uow, planned, origin="live") if match is not None]


def plan_matches(
    index: StreamIndex,
    contact: ContactState,
    candidates: Sequence[LiveStream],
    trigger: dict[str, Any],
    now: datetime,
) -> list[PlannedMatch]:
    """The candidates that match the contact as it is and may match it anew (rule 3); the
    contact's state then includes them, ready for its next change."""
    planned = []
    for stream in candidates:
        current = contact.current.get(stream.id)
        if current is not None and not may_requalify(
            current[1], requalify_after_days=stream.requalify_after_days, now=now
        ):
            continue
        if not stream.predicate(contact.fields, contact.events, now):
            continue
        explanation = index.explainer(stream)(contact.fields, contact.events, now)
        supersedes = current[0] if current is not None else None
        planned.append(PlannedMatch(stream.id, contact.id, trigger, explanation, supersedes))
        contact.current[stream.id] = (None, CurrentMatch(now, lead_closed=False))
    if planned and not contact.has_open_lead:
        contact.has_open_lead = True  # the first match opens a lead, the others join it
        if "lead_stage" in contact.fields:
            contact.fields["lead_stage"] = "mql"  # the contact's newest lead is that one
    return planned


def write_matches(
    uow: UnitOfWork, planned: Sequence[PlannedMatch], *, origin: str
) -> list[NewMatch | None]:
    """Write the planned matches, their leads (rule 4) and outbox rows, in a few statements;
    a result per planned match, None where another process got there first."""
    if not planned:
        return []
    connection, now = uow.connection, uow.clock.now()
    leads_store.supersede(
        connection, match_ids=[p.supersedes for p in planned if p.supersedes], at=now
    )
    contact_ids = {p.contact_id for p in planned}
    lead_of = leads_store.open_leads_of(connection, contact_ids)
    made_leads = leads_store.create_leads(
        connection, contact_ids=contact_ids - set(lead_of), at=now
    )
    lead_of |= made_leads
    if len(lead_of) < len(contact_ids):  # opened by another process since we looked
        lead_of |= leads_store.open_leads_of(connection, contact_ids - set(lead_of))
    rows = [
        {"lead_id": lead_of[p.contact_id], "stream_id": p.stream_id, "contact_id": p.contact_id,
         "matched_at": now, "origin": origin, "trigger": p.trigger, "explanation": p.explanation}
        for p in planned
    ]  # fmt: skip
    match_ids = leads_store.add_matches(connection, rows)
    new_leads = set(made_leads.values())
    results: list[NewMatch | None] = []
    announced: set[int] = set()  # new leads announced as created, by the first of their matches
    outbox = []
    for p in planned:
        match_id = match_ids.get((p.stream_id, p.contact_id))
        if match_id is None:
            results.append(None)
            continue
        lead_id = lead_of[p.contact_id]
        created = lead_id in new_leads and lead_id not in announced
        announced.add(lead_id)
        results.append(NewMatch(p.stream_id, lead_id, match_id, created))
        payload = {"lead_id": lead_id, "stream_id": p.stream_id, "contact_id": p.contact_id,
                   "origin": origin}  # fmt: skip
        outbox.append({"topic": "lead.created" if created else "lead.matched",
                       "lead_id": lead_id, "payload": payload})  # fmt: skip
    # A lead made for matches that all lost their race: leave nothing half-made.
    leads_store.delete_new_leads(connection, new_leads - announced)
    leads_store.add_outbox_rows(connection, outbox, at=now)
    return results


def _oldest_needed(candidates: Sequence[LiveStream], now: datetime) -> datetime | None:
    limits = [stream.reads.events_since(now) for stream in candidates if stream.reads.events]
    if not limits or any(limit is None for limit in limits):
        return None
    return min(limit for limit in limits if limit is not None)
