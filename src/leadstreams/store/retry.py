"""Doing a transaction's work again when the database gave the transaction up for another.

A deadlock or a serialization failure (PostgreSQL, several server processes whose
transactions touch the same rows) rolls the whole transaction back: nothing of it was kept,
so the same work can be done again from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

# deadlock_detected, serialization_failure
RETRYABLE = frozenset({"40P01", "40001"})

T = TypeVar("T")


def retryable_code(error: BaseException) -> str | None:
    """The SQLSTATE of a deadlock or serialization failure; None for any other error."""
    if not isinstance(error, DBAPIError):
        return None
    code = getattr(error.orig, "sqlstate", None)
    return code if code in RETRYABLE else None


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
