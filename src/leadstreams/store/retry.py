"""Doing a transaction's work again when the database gave the transaction up for another.

A deadlock or a serialization failure (PostgreSQL, several server processes whose
transactions touch the same rows) rolls the whole transaction back: nothing of it was kept,
so the same work can be done again from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

# What the database driver raises (the edges answer it without knowing SQLAlchemy).
DatabaseError = DBAPIError

# deadlock_detected, serialization_failure
RETRYABLE = frozenset({"40P01", "40001"})

T = TypeVar("T")


def retryable_code(error: BaseException) -> str | None:
    """The SQLSTATE of a deadlock or serialization failure; None for any other error."""
    if not isinstance(error, DBAPIError):
        return None
    code = getattr(error.orig, "sqlstate", None)
    return code if code in RETRYABLE else None


def database_unavailable(error: BaseException) -> bool:
    """The database could not be reached or went away (PostgreSQL restarting, a connection
    refused or cut; SQLite locked for too long or not openable): worth trying again soon."""
    if not isinstance(error, OperationalError):
        return False
    code = getattr(error.orig, "sqlstate", None)
    if error.connection_invalidated or (code is not None and code.startswith(("08", "57P"))):
        return True
    if code is None and type(error.orig).__module__.startswith("psycopg"):
        return True  # refused or cut before the server said why
    text = str(error.orig)
    return "database is locked" in text or "unable to open database" in text


def run_retrying(
    *, work: Callable[[], T], attempts: int, on_retry: Callable[[str], None] | None = None
) -> T:
    """`work()`, done again (up to `attempts` times in all) while it fails with a deadlock or
    a serialization failure; `on_retry(sqlstate)` before each new attempt. Any other error,
    or the last attempt's, is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as error:
            code = retryable_code(error)
            if code is None or attempt == attempts:
                raise
            if on_retry is not None:
                on_retry(code)
    raise AssertionError("unreachable")
