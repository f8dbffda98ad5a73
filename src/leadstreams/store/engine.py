"""Engines set up the same way everywhere: SQLite tuned and taught our functions, PG without JIT."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

from leadstreams.rules.fold import fold
from leadstreams.rules.sql.dialects import register_sqlite_functions

log = logging.getLogger(__name__)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    # JIT made large correlated plans several times slower here (shared/notes.md).
    connect_args = {"options": "-c jit=off -c timezone=UTC"}
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "first_connect", _check_postgres_folding)
    return engine


def _check_postgres_folding(dbapi_connection: Any, _record: Any) -> None:
    """Rules fold case as `rules.fold`; PostgreSQL's lower() does so only under a UTF-8 ctype."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SELECT lower('ÅΣ')")
    folded = cursor.fetchone()[0]
    cursor.close()
    if folded != fold("ÅΣ"):
        log.warning(
            "PostgreSQL's lower() folds 'ÅΣ' to %r (expected %r): string rules will compare "
            "non-ASCII letters case-sensitively in SQL. Create the database with a UTF-8 "
            "LC_CTYPE (e.g. C.UTF-8).",
            folded,
            fold("ÅΣ"),
        )


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    register_sqlite_functions(dbapi_connection)
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see _begin_sqlite
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    # Reads through a memory map of up to 1 GiB of the file, not a read() call per page:
    # fetch history took a sixth less time, ingest a tenth (docs/performance.md).
    cursor.execute("PRAGMA mmap_size = 1073741824")
    cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    """Writers take the write lock at BEGIN: a deferred transaction that later writes can fail
    at once with 'database is locked' when another writer got there first."""
    mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    connection.exec_driver_sql(f"BEGIN {mode}")
