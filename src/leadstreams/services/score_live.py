"""Scores kept current live: an event or field change that a score rule reads recomputes
the contact's score in the same unit of work, before the streams are evaluated; a changed
score is then a field change for the streams (product spec, section 3 rule 2)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from leadstreams.domain.scoring import adjustment_totals, change_reason
from leadstreams.engine.index import SCORE_FIELD, LiveStream, StreamIndex, union
from leadstreams.engine.score_index import ScoreIndex
from leadstreams.rules import EventRecord
from leadstreams.services.matching import ContactState, NewMatch, load_contacts, plan_matches
from leadstreams.store import match_writer
from leadstreams.store import scores as scores_store
from leadstreams.store.scores import NO_STATE, ScoreChange
from leadstreams.store.uow import UnitOfWork


class LiveScores:
    """Some contacts' scores within one unit of work: recomputed as their changes are
    applied, in order, then written in a few statements."""

    def __init__(self, uow: UnitOfWork, scoring: ScoreIndex, contact_ids: Collection[int]):
        self.uow, self.scoring = uow, scoring
        self.adjustments = scores_store.adjustment_terms(uow.connection, contact_ids)
        self.states = scores_store.states_of(uow.connection, contact_ids)
        self.changes: list[ScoreChange] = []

    def update(
        self,
        contact_id: int,
        fields: dict[str, Any],
        events: Sequence[EventRecord],
        now: datetime,
        cause: Mapping[str, Any],
    ) -> bool:
        """Recompute the contact's score from `fields` and `events` as they are now; a new
        score goes into `fields`. Whether the score changed."""
        adjusted, expiry = adjustment_totals(self.adjustments.get(contact_id, ()), now)
        score = self.scoring.score_adjusted(fields, events, adjusted, expiry, now)
        before = self.states.get(contact_id, NO_STATE)
        old = fields[SCORE_FIELD]
        moved = score.value != old or score.holding != before.holding
        if not moved and score.changes_at == before.changes_at:
            return False  # (a contact without a state row has none: nothing to keep)
        reason = change_reason(before.holding, score.holding, **cause) if moved else None
        self.changes.append(
            ScoreChange(contact_id, score.value, score.holding, score.changes_at,
                        score.value != old, reason)
        )  # fmt: skip
        self.states[contact_id] = scores_store.ScoreState(score.holding, score.changes_at)
        fields[SCORE_FIELD] = score.value
        return bool(score.value != old)

    def write(self) -> None:
        if self.changes:
            scores_store.write_changes(self.uow.connection, self.changes, now=self.uow.clock.now())
            self.changes = []


def score_streams(index: StreamIndex) -> list[LiveStream]:
    """The active streams a score change can trigger."""
    return index.for_fields([SCORE_FIELD])


def evaluate_change(
    uow: UnitOfWork,
    *,
    index: StreamIndex,
    contact_id: int,
    changed: Collection[str],
    trigger: dict[str, Any],
) -> list[NewMatch]:
    """A contact's fields changed: its score first (when a score rule reads a changed
    field), then the streams that read a changed field, the score among them."""
    candidates = index.for_fields(changed)
    scoring = index.scoring
    rescore = scoring.for_fields(changed)
    if not candidates and not rescore:
        return []
    by_score = score_streams(index) if rescore else []
    everything = union(candidates, by_score)
    extra = scoring.reads if rescore else []
    states = load_contacts(
        uow, index=index, contact_ids=[contact_id], candidates=everything, extra_reads=extra
    )
    state = states.get(contact_id)
    if state is None:
        return []
    now = uow.clock.now()
    if rescore:
        live = LiveScores(uow, scoring, [contact_id])
        if live.update(
            contact_id,
            state.fields,
            state.events,
            now,
            {"cause": "fields", "fields": sorted(changed)},
        ):
            candidates = union(candidates, index.for_score(state.fields[SCORE_FIELD]))
            trigger = {**trigger, "fields": sorted({*trigger.get("fields", ()), SCORE_FIELD})}
        live.write()
    planned = plan_matches(index, state, candidates, trigger, now)
    written = match_writer.write_matches(uow.connection, planned, now=now)
    return [match for match in written if match is not None]


def rescore(
    uow: UnitOfWork, *, index: StreamIndex, contact_ids: Sequence[int], cause: dict[str, Any]
) -> tuple[list[int], list[NewMatch]]:
    """Recompute these contacts' scores now (the sweep, an adjustment) and evaluate the
    streams on the ones whose score changed: (contacts whose score changed, new matches)."""
    scoring = index.scoring
    streams = score_streams(index)
    states = load_contacts(
        uow, index=index, contact_ids=contact_ids, candidates=streams, extra_reads=scoring.reads
    )
    now = uow.clock.now()
    live = LiveScores(uow, scoring, list(states))
    changed = [
        contact_id
        for contact_id, state in states.items()
        if live.update(contact_id, state.fields, state.events, now, cause)
    ]
    live.write()
    return changed, feed_streams(uow, index, [states[i] for i in changed], streams, now)


def feed_streams(
    uow: UnitOfWork,
    index: StreamIndex,
    states: Sequence[ContactState],
    streams: Sequence[LiveStream],
    now: datetime,
) -> list[NewMatch]:
    """The streams on `lead_score`, evaluated on contacts whose score changed, as a live
    field change would evaluate them; written by the one match writer."""
    if not streams or not states:
        return []
    trigger = {"kind": "contact_update", "fields": [SCORE_FIELD]}
    among = {stream.id for stream in streams}
    planned = []
    for state in states:
        reached = [s for s in index.for_score(state.fields[SCORE_FIELD]) if s.id in among]
        planned += plan_matches(index, state, reached, trigger, now)
    written = match_writer.write_matches(uow.connection, planned, now=now)
    return [match for match in written if match is not None]
