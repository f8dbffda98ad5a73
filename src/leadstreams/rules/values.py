"""Values as rules and custom fields take them: one reading of a datetime, one of an enum."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from leadstreams.rules.fold import fold


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date or datetime as an aware UTC datetime (naive means UTC), or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset past year 1 or 9999
        return None


def enum_value(value: Any, allowed: Iterable[str]) -> str | None:
    """The allowed value that `value` names in any case (compared as rules compare), or None."""
    if not isinstance(value, str):
        return None
    return {fold(choice): choice for choice in allowed}.get(fold(value))
