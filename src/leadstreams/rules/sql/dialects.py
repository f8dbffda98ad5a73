"""The SQL constructs that SQLite and PostgreSQL spell differently, each compiled per dialect:
JSON access, lower-casing as `rules.fold` does, and functions that differ only by name.

The rule compiler (`rules.compile_sql`) builds its expressions from these, and the store uses
them in its own statements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Boolean, Column, Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from leadstreams.rules.fold import fold

SQLITE_LOWER = "ls_lower"


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """SQLite's own lower() folds ASCII only; rules fold with `rules.fold` everywhere."""
    dbapi_connection.create_function(SQLITE_LOWER, 1, _py_lower, deterministic=True)


def _py_lower(value: object) -> object:
    return fold(value) if isinstance(value, str) else value


class folded(FunctionElement[str]):
    """The string lower-cased the way `rules.fold` does it."""

    type = String()
    inherit_cache = True


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    """`ls_lower` calls Python once per row. For a text column, ASCII values (as many bytes
    as characters; `length()` of text also stops at a NUL, which then takes `ls_lower`)
    are folded by the built-in lower() instead, which folds ASCII exactly as `fold` does."""
    (argument,) = element.clauses
    x = compiler.process(element.clauses, **kw)
    if isinstance(argument, Column) and isinstance(argument.type, String):
        # A text column: its values are text or NULL (NULL takes ls_lower, which keeps it).
        return (
            f"CASE WHEN length(CAST({x} AS BLOB)) = length({x}) "
            f"THEN lower({x}) ELSE {SQLITE_LOWER}({x}) END"
        )
    return f"{SQLITE_LOWER}({x})"


@compiles(folded)
def _folded_default(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


class _JsonAccess(FunctionElement[Any]):
    """Base of the JSON-property constructs: arguments are (json column, key)."""

    inherit_cache = True

    def parts(self, compiler: SQLCompiler, kw: Any) -> tuple[str, str]:
        column, key = self.clauses
        return compiler.process(column, **kw), compiler.process(key, **kw)


def _sqlite_path(key: str) -> str:
    return f"""('$."' || {key} || '"')"""


def _pg_key(key: str) -> str:
    return f"CAST({key} AS TEXT)"


class json_string(_JsonAccess):
    """The property's value when it is a JSON string, else NULL."""

    type = String()
    inherit_cache = True


@compiles(json_string, "sqlite")
def _json_string_sqlite(element: json_string, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = element.parts(compiler, kw)
    path = _sqlite_path(key)
    return f"CASE WHEN json_type({col}, {path}) = 'text' THEN json_extract({col}, {path}) END"


@compiles(json_string, "postgresql")
def _json_string_pg(element: json_string, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = element.parts(compiler, kw)
    k = _pg_key(key)
    return f"CASE WHEN jsonb_typeof({col} -> {k}) = 'string' THEN {col} ->> {k} END"


class json_number(_JsonAccess):
    """The property's value when it is a JSON number, else NULL."""

    type = Float()
    inherit_cache = True


@compiles(json_number, "sqlite")
def _json_number_sqlite(element: json_number, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = element.parts(compiler, kw)
    path = _sqlite_path(key)
    return (
        f"CASE WHEN json_type({col}, {path}) IN ('integer', 'real') "
        f"THEN json_extract({col}, {path}) END"
    )


@compiles(json_number, "postgresql")
def _json_number_pg(element: json_number, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = element.parts(compiler, kw)
    k = _pg_key(key)
    return (
        f"CASE WHEN jsonb_typeof({col} -> {k}) = 'number' "
        f"THEN CAST({col} ->> {k} AS DOUBLE PRECISION) END"
    )


class json_boolean(_JsonAccess):
    """The property's value when it is a JSON boolean, else NULL."""

    type = Boolean()
    inherit_cache = True


@compiles(json_boolean, "sqlite")
def _json_boolean_sqlite(element: json_boolean, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = element.parts(compiler, kw)
    path = _sqlite_path(key)
    return f"CASE json_type({col}, {path}) WHEN 'true' THEN 1 WHEN 'false' THEN 0 END"


@compiles(json_boolean, "postgresql")
def _json_boolean_pg(element: json_boolean, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = element.parts(compiler, kw)
    k = _pg_key(key)
    return (
        f"CASE WHEN jsonb_typeof({col} -> {k}) = 'boolean' THEN CAST({col} ->> {k} AS BOOLEAN) END"
    )


class json_is_set(_JsonAccess):
    """Whether the property is present, not null and not an empty string. Never NULL."""

    type = Boolean()
    inherit_cache = True


@compiles(json_is_set, "sqlite")
def _json_is_set_sqlite(element: json_is_set, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = element.parts(compiler, kw)
    path = _sqlite_path(key)
    kind = f"json_type({col}, {path})"
    return (
        f"COALESCE({kind} <> 'null' AND ({kind} <> 'text' OR json_extract({col}, {path}) <> ''), 0)"
    )


@compiles(json_is_set, "postgresql")
def _json_is_set_pg(element: json_is_set, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = element.parts(compiler, kw)
    k = _pg_key(key)
    kind = f"jsonb_typeof({col} -> {k})"
    return f"COALESCE({kind} <> 'null' AND ({kind} <> 'string' OR {col} ->> {k} <> ''), false)"


class json_member(_JsonAccess):
    """The property's raw JSON value (custom tags fields keep their array here)."""

    inherit_cache = True


@compiles(json_member, "sqlite")
def _json_member_sqlite(element: json_member, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = element.parts(compiler, kw)
    return f"json_extract({col}, {_sqlite_path(key)})"


@compiles(json_member, "postgresql")
def _json_member_pg(element: json_member, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = element.parts(compiler, kw)
    return f"({col} -> {_pg_key(key)})"


def renamed_function(*, sqlite: str, postgresql: str, type_: Any = None) -> Any:
    """A SQL function that only its name tells apart: `sqlite(...)` on SQLite (and when
    printed), `postgresql(...)` on PostgreSQL."""
    attributes: dict[str, Any] = {"inherit_cache": True}
    if type_ is not None:
        attributes["type"] = type_
    element = type(f"{sqlite}_or_{postgresql}", (FunctionElement,), attributes)

    def spelled(name: str) -> Callable[..., str]:
        def render(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
            return f"{name}({compiler.process(element.clauses, **kw)})"

        return render

    compiles(element)(spelled(sqlite))
    compiles(element, "postgresql")(spelled(postgresql))
    return element


# The items of a JSON array of strings, as a table with one column `value`.
json_array_items = renamed_function(sqlite="json_each", postgresql="jsonb_array_elements_text")
json_array_length = renamed_function(sqlite="json_array_length", postgresql="jsonb_array_length")


__all__ = [
    "SQLITE_LOWER",
    "folded",
    "json_array_items",
    "json_array_length",
    "json_boolean",
    "json_is_set",
    "json_member",
    "json_number",
    "json_string",
    "register_sqlite_functions",
    "renamed_function",
]
