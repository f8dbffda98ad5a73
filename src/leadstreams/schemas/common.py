"""Pieces every schema uses."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from leadstreams.errors import error_path
from leadstreams.rules.fields import NAME_PATTERN


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTCDatetime = Annotated[datetime, AfterValidator(_utc)]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# The name of a custom field or an event type, as rules name them (they become JSON paths).
SnakeName = Annotated[str, StringConstraints(pattern=f"^{NAME_PATTERN.pattern}$")]
# An id as the database holds it (64-bit): a larger number is invalid input, not a crash.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


NUL_TEXT = "text may not contain the NUL character (\\u0000)"
LONE_SURROGATE = "text may not contain a lone UTF-16 surrogate (\\ud800-\\udfff): it is not Unicode"
NOT_FINITE = "numbers must be finite (NaN and Infinity are not JSON)"


def _text_problem(text: str) -> str | None:
    """Why a text cannot be stored alike by both databases, or None (the usual, ASCII case
    costs one scan)."""
    if "\x00" in text:
        return NUL_TEXT
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return LONE_SURROGATE
    return None


def unstorable_at(value: Any, location: tuple[Any, ...] = ()) -> tuple[str, str] | None:
    """Where `value` (or a string, number or key nested in its dicts and lists) holds what
    the two databases cannot store alike: a text with the NUL character or a lone surrogate
    (Python's JSON reader makes one of "\\ud800"), which PostgreSQL refuses and SQLite stores
    but then cannot read back, or a number that is not finite, which no JSON column holds.
    (Where: "" for `value` itself, else the path inside it as error_path writes it; what is
    wrong), or None."""
    if isinstance(value, str):
        problem = _text_problem(value)
        return None if problem is None else (error_path(location), problem)
    if isinstance(value, float):
        return None if math.isfinite(value) else (error_path(location), NOT_FINITE)
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        inner = (*location, key)
        if isinstance(key, str) and (problem := _text_problem(key)) is not None:
            return error_path(inner), problem
        found = unstorable_at(item, inner)
        if found is not None:
            return found
    return None


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not be silently ignored. Nothing the databases
    cannot store alike is taken (`unstorable_at`): PostgreSQL's error on it failed the whole
    transaction, with the good items of its batch, and SQLite stored what it then could not
    read with its JSON functions."""

    model_config = ConfigDict(extra="forbid")
    unchecked: ClassVar[frozenset[str]] = frozenset()  # fields whose parts are checked later

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in cls.unchecked:
            return value
        found = unstorable_at(value)
        if found is not None:
            at, problem = found
            where = f" (at {at})".replace("\x00", "\\u0000") if at else ""
            raise ValueError(problem + where)
        return value
