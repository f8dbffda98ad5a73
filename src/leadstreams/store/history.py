"""Fetch history pushed down to SQL: the rule is evaluated once per chunk of contact ids.

Contacts never travel to Python; only the ids of the chunk's eligible contacts do (at most
the chunk's matches), and the rows of the matches made (for their explanations).

Every statement here is built once (the scan once per run of a job) with its values bound
at execution, so that SQLAlchemy neither builds nor compiles it again. Lists of ids are bound
as one parameter (`Among`), and the per-match rows are written by `INSERT ... SELECT` from
one JSON parameter or from the rows just written: the same statement for any number of
rows, with no thousands of placeholders for the driver and the database to parse.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    BigInteger,
    RowMapping,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    null,
    select,
    type_coerce,
    update,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import TypeDecorator

from leadstreams.rules import EventRecord
from leadstreams.rules.compile_sql import renamed_function
from leadstreams.store.leads import CURRENT_MATCH, OPEN_LEAD
from leadstreams.store.sql import Among, InsertIgnoringConflicts
from leadstreams.store.tables import contacts, events, lead_stage_changes, leads, matches, outbox
from leadstreams.store.types import Json, UTCDateTime

Row = tuple[Any, ...]

# --- constructs ------------------------------------------------------------------------------


# The members of a JSON object, as rows of `key` (text) and `value` (JSON).
_json_entries = renamed_function(sqlite="json_each", postgresql="jsonb_each")
# A JSON object of the (key, value) arguments.
_json_object = renamed_function(sqlite="json_object", postgresql="jsonb_build_object", type_=Json)
# The aggregated ids: an array on PostgreSQL (NULL when none), JSON text on SQLite.
_id_array = renamed_function(sqlite="json_group_array", postgresql="array_agg")


# --- the chunk's scan --------------------------------------------------------------------------


def _closed_lead() -> Any:
    return select(leads.c.id).where(leads.c.id == matches.c.lead_id, leads.c.closed_at.is_not(None))


def scan_statement(
    *, stream_id: int, rule: ColumnElement[bool], count: bool, requalify: bool, last: bool
) -> Select[Any]:
    """The statement of `scan_chunk`, built once per run of a job (the rule is the job's):
    binds `low`, `high` (unless `last`), and with `requalify` (the stream's
    `requalify_after_days` is set) `requalify_before`.

    With `count`, it also counts the contacts in the range, in the same pass: the rule is
    then an aggregate's filter, and the id range the whole WHERE, so that the primary key
    alone bounds the scan. The `last` chunk takes every contact after `low`: with no upper
    bound, SQLite compares no id row by row (a tenth of a scan), and PostgreSQL's scan is
    the sequential one it would choose for such a share of the table anyway."""
    blocking = [matches.c.stream_id == stream_id, matches.c.contact_id == contacts.c.id]
    blocking.append(CURRENT_MATCH)
    if requalify:
        before = bindparam("requalify_before", type_=UTCDateTime())
        supersedable = and_(matches.c.matched_at <= before, _closed_lead().exists())
        blocking.append(~supersedable)
    eligible = and_(rule, ~exists().where(*blocking))
    in_range = [contacts.c.id > bindparam("low", type_=BigInteger())]
    if not last:
        in_range.append(contacts.c.id <= bindparam("high", type_=BigInteger()))
    if count:
        return select(func.count(), _id_array(contacts.c.id).filter(eligible)).where(*in_range)
    return select(null(), _id_array(contacts.c.id)).where(*in_range, eligible)


def counts_tables_at_once(connection: Connection) -> bool:
    """Whether `count(*)` of a whole table is much cheaper than counting its rows in a scan:
    SQLite reads the count off the table's b-tree; PostgreSQL reads every index entry."""
    return connection.dialect.name == "sqlite"


def scan_chunk(
    connection: Connection,
    statement: Select[Any],
    *,
    low: int,
    high: int,
    requalify_before: datetime | None,
) -> tuple[int | None, list[int]]:
    """How many contacts (low, high] holds (None when the statement does not count them),
    and the ids of those eligible: they match the rule and have no current match in the
    stream, or (rule 3's exception) only one that a requalification may supersede: a match
    of a closed lead made at or before `requalify_before`. One statement
    (`scan_statement`), the chunk's one evaluation of the rule."""
    values: dict[str, Any] = {"low": low, "high": high}  # `high` unused by a `last` scan
    if requalify_before is not None:
        values["requalify_before"] = requalify_before
    count, found = connection.execute(statement, values).one()
    if isinstance(found, str):
        found = json.loads(found)
    return count, sorted(found or ())


# --- what a chunk writes -------------------------------------------------------------------


_SUPERSEDE = (
    update(matches)
    .where(
        Among(matches.c.contact_id, "ids"),
        matches.c.stream_id == bindparam("stream", type_=BigInteger()),
        CURRENT_MATCH,
        matches.c.matched_at <= bindparam("requalify_before", type_=UTCDateTime()),
        _closed_lead().exists(),
    )
    .values(superseded_at=bindparam("now", type_=UTCDateTime()))
)


def supersede_requalifying(
    connection: Connection,
    *,
    stream_id: int,
    contact_ids: Sequence[int],
    requalify_before: datetime,
    now: datetime,
) -> None:
    """Rule 3's exception: a closed lead's match older than the period gives way to a new one."""
    values = {
        "ids": contact_ids,
        "stream": stream_id,
        "requalify_before": requalify_before,
        "now": now,
    }
    connection.execute(_SUPERSEDE, values)


_NOW = bindparam("now", type_=UTCDateTime())
_CREATE_LEADS = (
    InsertIgnoringConflicts(leads)
    .from_select(
        ["contact_id", "stage", "hidden", "created_at", "updated_at"],
        select(contacts.c.id, literal("mql"), false(), _NOW, _NOW).where(
            Among(contacts.c.id, "ids"),
            ~exists().where(leads.c.contact_id == contacts.c.id, OPEN_LEAD),
        ),
    )
    .returning(leads.c.id, leads.c.contact_id)
)
_FIRST_STAGES = lead_stage_changes.insert().from_select(
    ["lead_id", "from_stage", "to_stage", "at"],
    select(leads.c.id, null(), literal("mql"), _NOW).where(Among(leads.c.id, "ids")),
)


def create_leads(connection: Connection, *, contact_ids: Sequence[int], now: datetime) -> list[Row]:
    """New mql leads for these contacts where they have no open lead, each with its first
    stage change: (lead id, contact id) of the leads made."""
    made = [
        tuple(row) for row in connection.execute(_CREATE_LEADS, {"ids": contact_ids, "now": now})
    ]
    if made:
        connection.execute(_FIRST_STAGES, {"ids": [lead_id for lead_id, _ in made], "now": now})
    return made


# The explanations travel as one JSON object keyed by contact id, its members joined to the
# leads by index (each member is read once: SQLite parses the JSON once this way).
_EXPLAINED = _json_entries(bindparam("explanations", type_=Json)).table_valued("key", "value")
_ADD_MATCHES = (
    InsertIgnoringConflicts(matches)
    .from_select(
        ["lead_id", "stream_id", "contact_id", "matched_at", "origin", "trigger", "explanation"],
        select(
            leads.c.id,
            bindparam("stream", type_=BigInteger()),
            leads.c.contact_id,
            _NOW,
            literal("history"),
            bindparam("trigger", type_=Json),
            _EXPLAINED.c.value,
        )
        .select_from(_EXPLAINED)
        .join(leads, leads.c.contact_id == cast(_EXPLAINED.c.key, BigInteger))
        .where(OPEN_LEAD),
    )
    .returning(matches.c.id, matches.c.contact_id, matches.c.lead_id)
)


def add_matches(
    connection: Connection,
    *,
    stream_id: int,
    explanations: Mapping[int, Any],
    trigger: dict[str, Any],
    now: datetime,
) -> list[Row]:
    """A history match for each contact explained here, on its open lead, written with its
    explanation: (match, contact, lead) of those made, by match id. A contact that has a
    current match in the stream by now gets none (rule 3, by the unique key).

    The contacts were chosen before `create_leads` ran, and the rule is not looked at again:
    making the leads changed their contacts' `lead_stage`, which the rule may read."""
    if not explanations:
        return []
    values = {
        "explanations": dict(explanations),
        "stream": stream_id,
        "trigger": trigger,
        "now": now,
    }
    return sorted(tuple(row) for row in connection.execute(_ADD_MATCHES, values))


_ANNOUNCE = outbox.insert().from_select(
    ["topic", "lead_id", "payload", "created_at"],
    select(
        case((Among(matches.c.lead_id, "new_leads"), "lead.created"), else_="lead.matched"),
        matches.c.lead_id,
        _json_object(
            "lead_id",
            matches.c.lead_id,
            "stream_id",
            matches.c.stream_id,
            "contact_id",
            matches.c.contact_id,
            "origin",
            matches.c.origin,
        ),
        _NOW,
    )
    .where(Among(matches.c.id, "ids"))
    .order_by(matches.c.id),
)


def announce(
    connection: Connection, *, match_ids: Sequence[int], new_leads: Collection[int], now: datetime
) -> None:
    """The outbox rows of these matches, in their order: `lead.created` for a match on one of
    `new_leads`, else `lead.matched`; the payload names the lead, stream, contact and origin."""
    if match_ids:
        values = {"ids": match_ids, "new_leads": new_leads, "now": now}
        connection.execute(_ANNOUNCE, values)


# --- what explanations read ----------------------------------------------------------------


_CONTACTS = select(contacts).where(Among(contacts.c.id, "ids"))


def contacts_of(connection: Connection, contact_ids: Collection[int]) -> dict[int, RowMapping]:
    """The contacts of these ids, by id."""
    rows = connection.execute(_CONTACTS, {"ids": contact_ids}).mappings().all()
    return {row["id"]: row for row in rows}


NO_PROPERTIES: Mapping[str, Any] = MappingProxyType({})


@cache
def _events_statement(*, properties: bool, windowed: bool) -> Select[Any]:
    # `occurred_at` as the driver gives it (text on SQLite, a naive datetime on PostgreSQL),
    # made an aware UTC datetime below: SQLAlchemy's per-row processing cost more than the
    # query, for the thousands of events of a chunk's matches.
    columns = [events.c.contact_id, events.c.type, type_coerce(events.c.occurred_at, _Raw())]
    if properties:
        columns.append(events.c.properties)
    query = select(*columns).where(
        Among(events.c.contact_id, "ids"),
        events.c.type.in_(bindparam("types", expanding=True, type_=String())),
    )
    if windowed:
        query = query.where(events.c.occurred_at >= bindparam("since", type_=UTCDateTime()))
    return query


class _Raw(TypeDecorator[Any]):
    """A column read as the driver returns it, with no conversion."""

    impl = String
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


def _utc(value: datetime | str) -> datetime:
    """A stored `UTCDateTime` (naive UTC; text on SQLite) as an aware datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=UTC)


def events_to_explain(
    connection: Connection,
    *,
    contact_ids: Collection[int],
    types: Collection[str],
    since: datetime | None,
    properties: bool,
) -> dict[int, list[EventRecord]]:
    """These contacts' events of these types (since `since`, when every event condition has a
    window), by contact id (every id present): what their explanations count. The events'
    properties are read only when asked (some condition has a `where`); without them the
    index on `events(contact_id, type, occurred_at)` answers alone, and no JSON is parsed."""
    found: dict[int, list[EventRecord]] = {contact_id: [] for contact_id in contact_ids}
    if not types or not found:
        return found
    query = _events_statement(properties=properties, windowed=since is not None)
    values: dict[str, Any] = {"ids": list(found), "types": sorted(types)}
    if since is not None:
        values["since"] = since
    for contact_id, type_, at, *props in connection.execute(query, values).all():
        record = EventRecord(type_, _utc(at), props[0] if props else NO_PROPERTIES)
        found[contact_id].append(record)
    return found
