"""Live matching: evaluate contacts against candidate streams and plan the new matches
(rules 2-4), then hand them to the one match writer.

Evaluation plans the matches in memory, a contact's changes in order, each seeing the
matches planned before it; the writing is then a few statements for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadstreams.domain.matching import CurrentMatch, Origin, may_match, stage_after_new_matches
from leadstreams.engine.index import LiveStream, StreamIndex
from leadstreams.rules import EventRecord, Reads
from leadstreams.store import match_writer, rule_inputs
from leadstreams.store.match_writer import MatchToWrite, NewMatch
from leadstreams.store.uow import UnitOfWork

__all__ = ["ContactState", "NewMatch", "evaluate_contact", "load_contacts", "plan_matches"]


@dataclass(slots=True)
class ContactState:
    """What evaluating a contact reads, kept up to date as its matches are planned."""

    id: int
    fields: dict[str, Any]
    events: list[EventRecord]
    has_open_lead: bool
    current: dict[int, CurrentMatch] = field(default_factory=dict)  # by stream id


def load_contacts(
    uow: UnitOfWork,
    *,
    index: StreamIndex,
    contact_ids: Sequence[int],
    candidates: Sequence[LiveStream],
    extra_reads: Sequence[Reads] = (),
) -> dict[int, ContactState]:
    """The state of these contacts for evaluating `candidates` (and rules reading
    `extra_reads`: the score rules), in a few queries for all."""
    connection = uow.connection
    reads = [*(stream.reads for stream in candidates), *extra_reads]
    needs = rule_inputs.Needs.of(reads, uow.clock.now())
    inputs = rule_inputs.load(
        connection,
        contact_ids,
        needs=needs,
        datetime_fields=index.vocabulary.custom_datetime_fields,
    )
    open_leads = match_writer.open_leads_of(connection, list(inputs))
    states = {
        contact_id: ContactState(contact_id, found.fields, found.events, contact_id in open_leads)
        for contact_id, found in inputs.items()
    }
    current = match_writer.current_matches_of(connection, list(inputs))
    for (stream_id, contact_id), match in current.items():
        states[contact_id].current[stream_id] = match
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
    written = match_writer.write_matches(uow.connection, planned, now=now)
    return [match for match in written if match is not None]


def plan_matches(
    index: StreamIndex,
    contact: ContactState,
    candidates: Sequence[LiveStream],
    trigger: dict[str, Any],
    now: datetime,
) -> list[MatchToWrite]:
    """The candidates that match the contact as it is and may match it anew (rule 3); the
    contact's state then includes them, ready for its next change."""
    planned = []
    for stream in candidates:
        current = contact.current.get(stream.id)
        if not may_match(current, requalify_after_days=stream.requalify_after_days, now=now):
            continue
        if not stream.predicate(contact.fields, contact.events, now):
            continue
        explanation = index.explainer(stream)(contact.fields, contact.events, now)
        supersedes = current.id if current is not None else None
        planned.append(
            MatchToWrite(contact.id, stream.id, Origin.LIVE, trigger, explanation, supersedes)
        )
        contact.current[stream.id] = CurrentMatch(None, now, lead_closed=False)
    if planned:
        if "lead_stage" in contact.fields:
            contact.fields["lead_stage"] = stage_after_new_matches(
                contact.fields["lead_stage"], had_open_lead=contact.has_open_lead
            )
        contact.has_open_lead = True  # the first match opens a lead, the others join it
    return planned
