"""The one writer of matches, their leads, first stage changes and outbox rows (rules 3, 4, 10).

Live matching and fetch history hand it the matches they decided on; it writes them all with
the same few set-based statements, whatever their number. The unique keys (one current match
per stream and contact, one open lead per contact) decide races with other processes: a match
that loses one is left out, with the lead made for it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, literal, null, select, update
from sqlalchemy.engine import Connection

from leadstreams.domain.matching import CurrentMatch, Origin, announced_as_created, leads_to_open
from leadstreams.domain.stages import Stage
from leadstreams.domain.topics import Topic
from leadstreams.rules.sql.dialects import renamed_function
from leadstreams.store import lead_delivery
from leadstreams.store.leads import CURRENT_MATCH, OPEN_LEAD
from leadstreams.store.sql import Among, insert_rows
from leadstreams.store.tables import lead_stage_changes, leads, matches, outbox
from leadstreams.store.types import Json, UTCDateTime


@dataclass(frozen=True, slots=True)
class MatchToWrite:
    contact_id: int
    stream_id: int
    origin: Origin
    trigger: dict[str, Any]
    explanation: dict[str, Any]
    supersedes: int | None = None  # the current match it replaces (the stream requalifies)


@dataclass(frozen=True, slots=True)
class NewMatch:
    stream_id: int
    contact_id: int
    lead_id: int
    match_id: int
    lead_created: bool


def write_matches(
    connection: Connection, planned: Sequence[MatchToWrite], *, now: datetime
) -> list[NewMatch | None]:
    """Write the matches, the leads they open (rule 4) and their outbox rows, and deliver
    them to their teams' people (assignment, mail queue): a result per match, None where
    another process got there first."""
    if not planned:
        return []
    supersede(connection, match_ids=[p.supersedes for p in planned if p.supersedes], at=now)
    contact_ids = {p.contact_id for p in planned}
    lead_of = open_leads_of(connection, contact_ids)
    made = _create_leads(connection, contact_ids=leads_to_open(contact_ids, lead_of), now=now)
    lead_of |= made
    if len(lead_of) < len(contact_ids):  # opened by another process since we looked
        lead_of |= open_leads_of(connection, contact_ids - set(lead_of))
    match_ids = _add_matches(connection, planned, lead_of, now=now)
    new_leads = set(made.values())
    written = [(match_id, lead_of[c]) for (_, c), match_id in match_ids.items()]
    created = announced_as_created(written, new_leads)
    # A lead made for matches that all lost their race: leave nothing half-made.
    _delete_leads(connection, new_leads - {lead_id for _, lead_id in written})
    _announce(connection, match_ids=sorted(match_ids.values()), created=created, now=now)
    results: list[NewMatch | None] = []
    for p in planned:
        match_id = match_ids.get((p.stream_id, p.contact_id))
        lead_id = lead_of[p.contact_id]
        results.append(
            None
            if match_id is None
            else NewMatch(p.stream_id, p.contact_id, lead_id, match_id, match_id in created)
        )
    lead_delivery.deliver(connection, results, now=now)  # assignment and mail (section 4a)
    return results


_CURRENT_MATCHES = (
    select(
        matches.c.id, matches.c.stream_id, matches.c.contact_id, matches.c.matched_at,
        leads.c.closed_at,
    )
    .join(leads, leads.c.id == matches.c.lead_id)
    .where(Among(matches.c.contact_id, "ids"), CURRENT_MATCH)
)  # fmt: skip


_CURRENT_MATCHES_IN_STREAM = _CURRENT_MATCHES.where(matches.c.stream_id == bindparam("stream_id"))


def current_matches_of(
    connection: Connection, contact_ids: Collection[int], *, stream_id: int | None = None
) -> dict[tuple[int, int], CurrentMatch]:
    """The current match of these contacts in every stream, or in `stream_id` only, by
    (stream id, contact id).

    Fetch history asks for its own stream: the unique index on (stream id, contact id) then
    answers for the list of contacts whatever the statistics say. Asked for every stream while
    a big job's new matches were not yet analysed, PostgreSQL read all the current matches by
    that index's condition and tested each against the list of 1,000 ids: half of a broad
    job's time (docs/performance.md)."""
    if not contact_ids:
        return {}
    values: dict[str, object] = {"ids": sorted(set(contact_ids))}
    statement = _CURRENT_MATCHES
    if stream_id is not None:
        statement, values["stream_id"] = _CURRENT_MATCHES_IN_STREAM, stream_id
    return {
        (row.stream_id, row.contact_id): CurrentMatch(
            row.id, row.matched_at, lead_closed=row.closed_at is not None
        )
        for row in connection.execute(statement, values)
    }


_SUPERSEDE = update(matches).where(Among(matches.c.id, "ids")).values(superseded_at=bindparam("at"))


def supersede(connection: Connection, *, match_ids: Collection[int], at: datetime) -> None:
    if match_ids:
        connection.execute(_SUPERSEDE, {"ids": sorted(match_ids), "at": at})


_OPEN_LEADS = select(leads.c.contact_id, leads.c.id).where(
    Among(leads.c.contact_id, "ids"), OPEN_LEAD
)


def open_leads_of(connection: Connection, contact_ids: Collection[int]) -> dict[int, int]:
    """The open lead of each of these contacts that has one: lead id by contact id."""
    if not contact_ids:
        return {}
    found = connection.execute(_OPEN_LEADS, {"ids": sorted(set(contact_ids))})
    return dict(found.tuples().all())


_NOW = bindparam("now", type_=UTCDateTime())
_FIRST_STAGES = lead_stage_changes.insert().from_select(
    ["lead_id", "from_stage", "to_stage", "at"],
    select(leads.c.id, null(), literal(Stage.MQL.value), _NOW).where(Among(leads.c.id, "ids")),
)


def _create_leads(
    connection: Connection, *, contact_ids: Collection[int], now: datetime
) -> dict[int, int]:
    """New open leads in stage mql, with their first stage change: lead id by contact id.
    A contact that has an open lead already (opened by another process) gets none."""
    if not contact_ids:
        return {}
    rows = [
        {"contact_id": contact_id, "stage": Stage.MQL.value, "hidden": False, "created_at": now,
         "updated_at": now}
        for contact_id in sorted(contact_ids)
    ]  # fmt: skip
    made = insert_rows(connection, leads, rows, returning=("contact_id", "id")).tuples().all()
    if made:
        connection.execute(_FIRST_STAGES, {"ids": [lead_id for _, lead_id in made], "now": now})
    return dict(made)


def _delete_leads(connection: Connection, lead_ids: Collection[int]) -> None:
    """Take back leads made in this transaction that ended up with no match."""
    if lead_ids:
        ids = sorted(lead_ids)
        connection.execute(delete(lead_stage_changes).where(lead_stage_changes.c.lead_id.in_(ids)))
        connection.execute(delete(leads).where(leads.c.id.in_(ids)))


def _add_matches(
    connection: Connection,
    planned: Sequence[MatchToWrite],
    lead_of: dict[int, int],
    *,
    now: datetime,
) -> dict[tuple[int, int], int]:
    """New matches' ids by (stream id, contact id); a match whose stream already has a
    current match for the contact (made by another process) is left out."""
    rows = [
        {"lead_id": lead_of[p.contact_id], "stream_id": p.stream_id, "contact_id": p.contact_id,
         "matched_at": now, "origin": p.origin.value, "trigger": p.trigger,
         "explanation": p.explanation}
        for p in planned
    ]  # fmt: skip
    made = insert_rows(connection, matches, rows, returning=("stream_id", "contact_id", "id"))
    return {(s, c): i for s, c, i in made}


_json_object = renamed_function(sqlite="json_object", postgresql="jsonb_build_object", type_=Json)
_ANNOUNCE = outbox.insert().from_select(
    ["topic", "lead_id", "payload", "created_at"],
    select(
        case(
            (Among(matches.c.id, "created"), Topic.LEAD_CREATED.value),
            else_=Topic.LEAD_MATCHED.value,
        ),
        matches.c.lead_id,
        _json_object(
            "lead_id", matches.c.lead_id, "stream_id", matches.c.stream_id,
            "contact_id", matches.c.contact_id, "origin", matches.c.origin,
        ),
        _NOW,
    )
    .where(Among(matches.c.id, "ids"))
    .order_by(matches.c.id),
)  # fmt: skip


def _announce(
    connection: Connection, *, match_ids: Sequence[int], created: Collection[int], now: datetime
) -> None:
    """The outbox rows of these matches, in their order: `lead.created` for those `created`,
    else `lead.matched`; the payload names the lead, stream, contact and origin."""
    if match_ids:
        values = {"ids": match_ids, "created": sorted(created), "now": now}
        connection.execute(_ANNOUNCE, values)
