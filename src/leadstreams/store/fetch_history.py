"""Fetch history pushed down to SQL: the rule is evaluated once per chunk of contact ids.

Contacts never travel to Python; only the ids of the chunk's eligible contacts do (at most
the chunk's matches). Their matches are written by the one match writer
(`store.match_writer`), as live matching's are. The scan is built once per run of a job,
with its values bound at execution, so that SQLAlchemy neither builds nor compiles it again.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Select, and_, bindparam, exists, func, null, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from leadstreams.rules import Rule, Vocabulary
from leadstreams.rules.compile_sql import to_sql
from leadstreams.rules.sql.dialects import renamed_function
from leadstreams.store.leads import CURRENT_MATCH
from leadstreams.store.rule_columns import sql_columns
from leadstreams.store.tables import contacts, leads, matches
from leadstreams.store.types import UTCDateTime

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
    `requalify_after_days` is set) `requalify_before`, `domain.matching.requalify_cutoff`.

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


class Scanner:
    """A job's rule as SQL, and its scans, each built once per run of the job and kind (the
    stream's requalification period may be set or unset between two chunks)."""

    def __init__(self, rule: Rule, vocabulary: Vocabulary, *, as_of: datetime) -> None:
        self.condition = to_sql(rule, sql_columns(vocabulary), now=as_of)
        self._built: dict[tuple[int, bool, bool, bool], Select[Any]] = {}

    def scan(
        self,
        connection: Connection,
        *,
        stream_id: int,
        low: int,
        high: int,
        requalify_before: datetime | None,
        count: bool,
        last: bool,
    ) -> tuple[int | None, list[int]]:
        """`scan_chunk` with the statement this scan needs."""
        key = (stream_id, count, requalify_before is not None, last)
        if key not in self._built:
            self._built[key] = scan_statement(
                stream_id=stream_id, rule=self.condition, count=count, requalify=key[2], last=last
            )
        statement = self._built[key]
        return scan_chunk(
            connection, statement, low=low, high=high, requalify_before=requalify_before
        )
