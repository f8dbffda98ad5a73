"""Contacts as rules read them: their fields (the lead stage among them) and their events.

The one way to load contacts for evaluation, for live matching and for fetch history's
explanations: a few queries for any number of contacts, reading only what the rules at hand
read (`Needs`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import Select, String, bindparam, select, type_coerce
from sqlalchemy.engine import Connection

from leadstreams.domain.matching import LeadOnBoard, lead_stage
from leadstreams.rules import EventRecord, Reads
from leadstreams.store import contacts as contacts_store
from leadstreams.store.sql import Among
from leadstreams.store.tables import events, leads
from leadstreams.store.types import AsDriverGives, UTCDateTime, aware_utc


@dataclass(frozen=True, slots=True)
class Needs:
    """What some rules read of a contact, evaluated at `now`."""

    stage: bool  # the lead stage (a query of its own)
    event_types: frozenset[str]
    events_since: datetime | None  # the oldest event a condition counts; None: all
    properties: bool  # events' properties (some event condition has a `where`)

    @classmethod
    def of(cls, rules: Iterable[Reads], now: datetime) -> Needs:
        rules = list(rules)
        windows = [r.events_since(now) for r in rules if r.events]
        bounded = [w for w in windows if w is not None]
        # No window at all (no event condition), or one without a window: every event counts.
        oldest = min(bounded) if bounded and len(bounded) == len(windows) else None
        return cls(
            stage=any("lead_stage" in r.fields for r in rules),
            event_types=frozenset(t for r in rules for t in r.event_types),
            events_since=oldest,
            properties=any(condition.where for r in rules for condition in r.events),
        )


@dataclass(frozen=True, slots=True)
class RuleInputs:
    fields: dict[str, Any]
    events: list[EventRecord]


def load(
    connection: Connection,
    contact_ids: Collection[int],
    *,
    needs: Needs,
    datetime_fields: Collection[str],
) -> dict[int, RuleInputs]:
    """These contacts as the rules read them, by id; a contact gone meanwhile is left out."""
    rows = contacts_store.get_many(connection, contact_ids)
    stages = lead_stages(connection, list(rows)) if needs.stage else {}
    found = events_of(connection, contact_ids=list(rows), needs=needs)
    return {
        contact_id: RuleInputs(
            contacts_store.rule_fields(row, stages.get(contact_id), datetime_fields),
            found[contact_id],
        )
        for contact_id, row in rows.items()
    }


_LEADS_ON_BOARD = select(leads.c.contact_id, leads.c.id, leads.c.created_at, leads.c.stage).where(
    Among(leads.c.contact_id, "ids"), leads.c.cleared_at.is_(None)
)


def lead_stages(connection: Connection, contact_ids: Collection[int]) -> dict[int, str]:
    """Each contact's lead stage (`domain.matching.lead_stage`), by contact id."""
    on_board: dict[int, list[LeadOnBoard]] = {contact_id: [] for contact_id in contact_ids}
    if on_board:
        found = connection.execute(_LEADS_ON_BOARD, {"ids": sorted(on_board)})
        for contact_id, lead_id, created_at, stage in found:
            on_board[contact_id].append(LeadOnBoard(lead_id, created_at, stage))
    return {contact_id: lead_stage(found) for contact_id, found in on_board.items()}


NO_PROPERTIES: Mapping[str, Any] = MappingProxyType({})


@cache
def _events_statement(*, properties: bool, windowed: bool) -> Select[Any]:
    # `occurred_at` as the driver gives it, made an aware datetime below (docs/performance.md:
    # SQLAlchemy's per-row processing cost more than the query).
    occurred_at = type_coerce(events.c.occurred_at, AsDriverGives())
    columns = [events.c.contact_id, events.c.type, occurred_at]
    if properties:
        columns.append(events.c.properties)
    query = select(*columns).where(
        Among(events.c.contact_id, "ids"),
        events.c.type.in_(bindparam("types", expanding=True, type_=String())),
    )
    if windowed:
        query = query.where(events.c.occurred_at >= bindparam("since", type_=UTCDateTime()))
    return query


def events_of(
    connection: Connection, *, contact_ids: Collection[int], needs: Needs
) -> dict[int, list[EventRecord]]:
    """These contacts' events that the rules count, by contact id (every id present), in no
    particular order (rules count them). Properties are read only when a condition has a
    `where`: without them the index on `events(contact_id, type, occurred_at)` answers alone,
    and no JSON is parsed."""
    found: dict[int, list[EventRecord]] = {contact_id: [] for contact_id in contact_ids}
    if not needs.event_types or not found:
        return found
    query = _events_statement(properties=needs.properties, windowed=needs.events_since is not None)
    values: dict[str, Any] = {"ids": list(found), "types": sorted(needs.event_types)}
    if needs.events_since is not None:
        values["since"] = needs.events_since
    for contact_id, type_, at, *props in connection.execute(query, values).all():
        record = EventRecord(type_, aware_utc(at), props[0] if props else NO_PROPERTIES)
        found[contact_id].append(record)
    return found
