"""Pieces every schema uses."""

from __future__ import annotations

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


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTCDatetime = Annotated[datetime, AfterValidator(_utc)]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# An id as the database holds it (64-bit): a larger number is invalid input, not a crash.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def nul_character_at(value: Any, path: str = "") -> str | None:
    """Where a text in `value` (a string, or strings and keys nested in dicts and lists)
    holds the NUL character: "" for `value` itself, a dotted path inside it, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        inner = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and "\x00" in key:
            return inner
        found = nul_character_at(item, inner)
        if found is not None:
            return found
    return None


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not be silently ignored. No text may hold the NUL
    character: PostgreSQL cannot store it (and its error failed a whole transaction), and
    SQLite would, so the two databases would differ."""

    model_config = ConfigDict(extra="forbid")
    unchecked: ClassVar[frozenset[str]] = frozenset()  # fields whose parts are checked later

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_character(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in cls.unchecked:
            return value
        at = nul_character_at(value)
        if at is not None:
            where = f" (at {at})".replace("\x00", "\\u0000") if at else ""
            raise ValueError(f"text may not contain the NUL character (\\u0000){where}")
        return value
