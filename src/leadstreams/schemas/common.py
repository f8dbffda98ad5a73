"""Pieces every schema uses."""

from __future__ import annotations

import json
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
from leadstreams.rules.limits import MIN_STORED_YEAR


def _utc(value: datetime) -> datetime:
    """In UTC (a naive datetime is taken as UTC). One at the edge of the calendar whose offset
    takes it past year 1 or 9999 is refused, as is a year before 1000: stored as text, such a
    year would not sort as time (rules/limits.py)."""
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the datetime is outside the years 1000 to 9999 in UTC") from None
    if value.year < MIN_STORED_YEAR:
        raise ValueError("the datetime is outside the years 1000 to 9999 in UTC")
    return value


UTCDatetime = Annotated[datetime, AfterValidator(_utc)]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# The name of a custom field or an event type, as rules name them (they become JSON paths).
SnakeName = Annotated[str, StringConstraints(pattern=f"^{NAME_PATTERN.pattern}$")]
# An id as the database holds it (64-bit): a larger number is invalid input, not a crash.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def id_from_text(text: str, *, lowest: int = 1) -> int | None:
    """An id written in a query, form or header, or None when it is not one: ASCII digits
    only ('²'.isdigit() is true, and int('²') fails), within what the database holds."""
    if not (text.isascii() and text.isdecimal()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if lowest <= value <= MAX_ID else None


NUL_TEXT = "text may not contain the NUL character (\\u0000)"
LONE_SURROGATE = "text may not contain a lone UTF-16 surrogate (\\ud800-\\udfff): it is not Unicode"
NOT_FINITE = "numbers must be finite (NaN and Infinity are not JSON)"


def text_problem(text: str) -> str | None:
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
        problem = text_problem(value)
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
        if isinstance(key, str) and (problem := text_problem(key)) is not None:
            return error_path(inner), problem
        found = unstorable_at(item, inner)
        if found is not None:
            return found
    return None


# Free-form JSON (event properties, a contact's custom values) within bounds that keep every
# later read of it cheap: one such value once made each later event of its contact slow.
MAX_JSON_DEPTH = 20  # dicts and lists inside each other
MAX_JSON_ITEMS = 1000  # keys and list items, at every depth together
MAX_JSON_TEXT = 10_000  # characters of one text or key
MAX_JSON_BYTES = 32 * 1024  # the whole value, written as JSON (Segment's limit of a message)


def _beyond_limits(
    value: Any, location: tuple[Any, ...], items: list[int]
) -> tuple[str, str] | None:
    if isinstance(value, str):
        too_long = len(value) > MAX_JSON_TEXT
        return (
            (error_path(location), f"a text may have at most {MAX_JSON_TEXT} characters")
            if too_long
            else None
        )
    if not isinstance(value, dict | list):
        return None
    if len(location) >= MAX_JSON_DEPTH:
        return error_path(location), f"values may nest at most {MAX_JSON_DEPTH} levels deep"
    items[0] += len(value)
    if items[0] > MAX_JSON_ITEMS:
        return error_path(location), f"at most {MAX_JSON_ITEMS} keys and list items in all"
    pairs = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in pairs:
        inner = (*location, key)
        if isinstance(key, str) and len(key) > MAX_JSON_TEXT:
            return error_path(inner), f"a key may have at most {MAX_JSON_TEXT} characters"
        found = _beyond_limits(item, inner, items)
        if found is not None:
            return found
    return None


def _within_limits(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return value
    found = _beyond_limits(value, (), [0])
    if found is not None:
        at, problem = found
        raise ValueError(f"{problem} (at {at})")
    size = len(json.dumps(value, separators=(",", ":")).encode())
    if size > MAX_JSON_BYTES:
        raise ValueError(f"at most {MAX_JSON_BYTES} bytes as JSON, not {size}")
    return value


# Checked after `Strict` took the value (so it is storable, and its keys are text).
FreeJson = Annotated[dict[str, Any], AfterValidator(_within_limits)]


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
