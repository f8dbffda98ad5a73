"""Engines set up the same way everywhere: SQLite tuned and taught our functions, PG without JIT."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

from leadstreams.rules.compile_sql import register_sqlite_functions


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    # JIT made large correlated plans several times slower here (shared/notes.md).
    connect_args = {"options": "-c jit=off -c timezone=UTC"}
    return create_engine(url, connect_args=connect_args, **kwargs)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    register_sqlite_functions(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()
