"""A unique key that a concurrent transaction took first: a 409 that says which, not a 500.

The use cases check a name or an open lead before they write; between the check and the
write, another transaction (PostgreSQL, several server processes) can commit the same key.
The unique key then refuses the write, which is the documented 409 of the check it passed.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from leadstreams.errors import Conflict

# By the table of the unique key; every unique key of a table names one kind of thing.
TAKEN = {
    "users": "a user with this e-mail exists already",
    "teams": "a team with this name exists already",
    "streams": "a stream with this name exists already",
    "leads": "the contact has another open lead; work that one instead",
    "contacts": "another contact has this email or external_id",
}
_UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
_SQLITE_UNIQUE = "UNIQUE constraint failed: "


def as_conflict(error: BaseException) -> Conflict | None:
    """The 409 for a unique key another transaction took first, or None."""
    if not isinstance(error, IntegrityError):
        return None
    table = _table_of_unique_key(error.orig)
    if table is None:
        return None
    return Conflict(TAKEN.get(table, "a concurrent request made this change first"))


def _table_of_unique_key(error: BaseException | None) -> str | None:
    if getattr(error, "sqlstate", None) == _UNIQUE_VIOLATION:
        return getattr(getattr(error, "diag", None), "table_name", None) or ""
    text = str(error)
    if text.startswith(_SQLITE_UNIQUE):  # "UNIQUE constraint failed: teams.name_key"
        return text.removeprefix(_SQLITE_UNIQUE).partition(".")[0]
    return None
