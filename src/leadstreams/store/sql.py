"""SQL constructs that keep statements short and cacheable, for SQLite and PostgreSQL.

A list of values is bound as one parameter (`Among`) rather than as one placeholder per
value, and so are many rows on PostgreSQL (`insert_rows`): the statement's text is then the
same for any number of values, so SQLAlchemy compiles it once, the driver does not parse
thousands of placeholders, and the database plans it once (docs/performance.md, "Design
notes").
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CursorResult,
    String,
    Table,
    Text,
    bindparam,
    cast,
    column,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ClauseElement, ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Integer, TypeDecorator, TypeEngine

from leadstreams.store.types import to_utc_naive


class _DoNothingOnConflict(ClauseElement):
    """`ON CONFLICT DO NOTHING`, spelled alike by SQLite and PostgreSQL (no conflict target:
    any unique key)."""

    inherit_cache = True
    _traverse_internals = []


@compiles(_DoNothingOnConflict)
def _do_nothing_on_conflict(
    _element: _DoNothingOnConflict, _compiler: SQLCompiler, **_: Any
) -> str:
    return "ON CONFLICT DO NOTHING"


class InsertIgnoringConflicts(Insert):
    """`INSERT ... ON CONFLICT DO NOTHING` as a standard insert, which SQLAlchemy caches once
    compiled: the dialects' own `insert(...).on_conflict_do_nothing()` opt out of the
    statement cache, and were compiled again at every execution."""

    inherit_cache = True
    _post_values_clause = _DoNothingOnConflict()


class IdList(TypeDecorator[Collection[int]]):
    """A list of ids bound as one parameter: a bigint array on PostgreSQL, JSON text on SQLite."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Collection[Any] | None, dialect: Dialect) -> Any:
        values = list(value or ())
        return values if dialect.name == "postgresql" else json.dumps(values)


class TextList(IdList):
    """A list of strings bound as one parameter: a text array on PostgreSQL, JSON on SQLite."""

    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String()))
        return dialect.type_descriptor(String())


class Among(ColumnElement[bool]):
    """`column IN values`, the values bound as one parameter named `name` (ids, or strings
    for a text column): `= ANY (array)` on PostgreSQL, which an index serves as it does `IN`,
    and the members of a JSON array on SQLite."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a test: SQLite is not to compare it with 1
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        kind = IdList() if isinstance(column.type, Integer) else TextList()
        self.values = bindparam(name, type_=kind)

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(Among, "postgresql")
def _among_pg(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} = ANY ({values})"


@compiles(Among)
def _among_sqlite(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} IN (SELECT value FROM json_each({values}))"  # noqa: S608 (compiled SQL)


def insert_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    returning: Sequence[str],
) -> CursorResult[Any]:
    """`INSERT ... ON CONFLICT DO NOTHING RETURNING` of many rows (each with the same keys).
    On PostgreSQL the rows travel as one JSON parameter, read by `jsonb_to_recordset()`;
    on SQLite, whose driver takes a long statement as it is, as SQLAlchemy's multi-row
    `VALUES`."""
    if connection.dialect.name != "postgresql":
        insert = InsertIgnoringConflicts(table).returning(*(table.c[n] for n in returning))
        return connection.execute(insert, list(rows))
    statement = _recordset_insert(table, tuple(rows[0]), tuple(returning))
    return connection.execute(statement, recordset_rows(rows))


def insert_many(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """`INSERT ... ON CONFLICT DO NOTHING` of many rows (each with the same keys), returning
    nothing: on PostgreSQL one statement, the rows one JSON parameter (`recordset`), where
    `executemany` has the server run the statement once per row; on SQLite `executemany`
    (one prepared statement, stepped per row in the library)."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(InsertIgnoringConflicts(table), list(rows))
        return
    connection.execute(_recordset_insert(table, tuple(rows[0]), ()), recordset_rows(rows))


def recordset(table: Table, names: Sequence[str]) -> Any:
    """PostgreSQL: rows of `table`'s columns `names`, travelling as one JSON parameter
    `rows` (`recordset_rows`) read by `jsonb_to_recordset()`, as a FROM named `batch`: one
    statement for many rows, where `executemany` makes one execution per row."""
    fields = [column(n, table.c[n].type) for n in names]
    rows = cast(bindparam("rows", type_=Text()), JSONB)
    batch = func.jsonb_to_recordset(rows).table_valued(*fields)
    return batch.render_derived(name="batch", with_types=True)


def recordset_rows(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The parameters of a statement reading `recordset`. A batch's rows mostly share their
    times (one `now`): each distinct one is converted once, not once per row and column."""
    texts: dict[datetime, str] = {}

    def naive_utc_text(value: Any) -> str:
        if not isinstance(value, datetime):
            raise TypeError(f"{type(value).__name__} is not JSON serializable")
        text = texts.get(value)
        if text is None:  # as `UTCDateTime` stores it
            text = texts[value] = to_utc_naive(value).isoformat()
        return text

    return {"rows": json.dumps(rows, default=naive_utc_text)}


@cache
def _recordset_insert(table: Table, names: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    batch = recordset(table, names)
    insert = InsertIgnoringConflicts(table).from_select(
        list(names), select(*(batch.c[n] for n in names))
    )
    return insert.returning(*(table.c[n] for n in returning)) if returning else insert
