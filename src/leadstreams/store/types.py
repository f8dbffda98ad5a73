"""Column types that make SQLite and PostgreSQL store the same things the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL: the rule compiler's JSON constructs use jsonb functions there.
Json = JSON().with_variant(JSONB(), "postgresql")


def to_utc_naive(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


class AsDriverGives(TypeDecorator[Any]):
    """A column read as the driver returns it, with no conversion: for many rows, where
    SQLAlchemy's per-row processing costs more than the query (docs/performance.md)."""

    impl = String
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


def aware_utc(value: datetime | str) -> datetime:
    """A stored `UTCDateTime` read `AsDriverGives` (naive UTC; text on SQLite) as an aware
    datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else to_utc_naive(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        result: datetime = value
        return result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)


ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def to_iso_text(value: datetime) -> str:
    """The fixed-width text a datetime custom field is kept as inside JSON: it sorts as time."""
    return to_utc_naive(value).strftime(ISO_FORMAT)


def from_iso_text(value: str) -> datetime:
    return datetime.strptime(value, ISO_FORMAT).replace(tzinfo=UTC)


class IsoText(TypeDecorator[datetime]):
    """A datetime kept as fixed-width ISO text (custom fields live in a JSON column)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else to_iso_text(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return from_iso_text(value)
