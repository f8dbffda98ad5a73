"""Evaluate a contact against candidate streams and record new matches (rules 2-4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadstreams.domain.matching import may_requalify
from leadstreams.engine.index import LiveStream, StreamIndex
from leadstreams.rules import explain
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
    now = uow.clock.now()
    connection = uow.connection
    row = contacts_store.get(connection, contact_id)
    if row is None:
        return []
    # The stage costs a query: read it only when a candidate's rules read it.
    reads_stage = any("lead_stage" in stream.reads.fields for stream in candidates)
    stage = contacts_store.lead_stage(connection, contact_id) if reads_stage else None
    fields = contacts_store.rule_fields(row, stage, index.vocabulary.custom_datetime_fields)
    types = {t for stream in candidates for t in stream.reads.event_types}
    since = _oldest_needed(candidates, now)
    events = events_store.for_rules(connection, contact_id=contact_id, types=types, since=since)
    made = []
    for stream in candidates:
        if stream.predicate(fields, events, now):
            explanation = explain(stream.rule, fields, events, now, index.vocabulary)
            match = record_match(
                uow,
                stream=stream,
                contact_id=contact_id,
                origin="live",
                trigger=trigger,
                explanation=explanation,
                now=now,
            )
            if match is not None:
                made.append(match)
    return made


def _open_lead(uow: UnitOfWork, *, contact_id: int, now: datetime) -> tuple[int, bool]:
    """The contact's open lead, made now if it has none: (lead id, whether it is new)."""
    connection = uow.connection
    lead_id = leads_store.open_lead_id(connection, contact_id=contact_id)
    if lead_id is not None:
        return lead_id, False
    lead_id = leads_store.create_lead(connection, contact_id=contact_id, at=now)
    if lead_id is not None:
        return lead_id, True
    # Another process opened one between our look and our insert; its commit made it visible.
    lead_id = leads_store.open_lead_id(connection, contact_id=contact_id)
    if lead_id is None:
        raise RuntimeError(f"contact {contact_id}: an open lead conflicted but cannot be found")
    return lead_id, False


def _oldest_needed(candidates: Sequence[LiveStream], now: datetime) -> datetime | None:
    limits = [stream.reads.events_since(now) for stream in candidates if stream.reads.events]
    if not limits or any(limit is None for limit in limits):
        return None
    return min(limit for limit in limits if limit is not None)


def record_match(
    uow: UnitOfWork,
    *,
    stream: LiveStream,
    contact_id: int,
    origin: str,
    trigger: dict[str, Any],
    explanation: dict[str, Any] | None,
    now: datetime,
) -> NewMatch | None:
    """Rule 3 (one current match per stream and contact, unless it requalifies) and rule 4
    (one open lead per contact), both backed by unique keys so that racing processes agree."""
    connection = uow.connection
    current = leads_store.current_match(connection, stream_id=stream.id, contact_id=contact_id)
    if current is not None:
        earlier_id, facts = current
        if not may_requalify(facts, requalify_after_days=stream.requalify_after_days, now=now):
            return None
        leads_store.supersede(connection, match_id=earlier_id, at=now)
    with connection.begin_nested() as savepoint:
        lead_id, created = _open_lead(uow, contact_id=contact_id, now=now)
        values = {
            "lead_id": lead_id,
            "stream_id": stream.id,
            "contact_id": contact_id,
            "matched_at": now,
            "origin": origin,
            "trigger": trigger,
            "explanation": explanation,
        }
        match_id = leads_store.add_match(connection, values=values)
        if match_id is None:  # lost a race for this stream and contact: leave nothing half-made
            savepoint.rollback()
            return None
    topic = "lead.created" if created else "lead.matched"
    payload = {
        "lead_id": lead_id,
        "stream_id": stream.id,
        "contact_id": contact_id,
        "origin": origin,
    }
    leads_store.add_outbox(connection, topic=topic, lead_id=lead_id, payload=payload, at=now)
    return NewMatch(stream.id, lead_id, match_id, created)
