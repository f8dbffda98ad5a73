"""Opaque keyset cursors: the (time, id) of the last row of a page, for pages that sort by a
time with ties broken by id (a cursor that kept only the id would skip or repeat rows)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from leadstreams.errors import InvalidInput
from leadstreams.schemas.common import MAX_ID


def encode(at: datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode()


def decode(cursor: str | None, *, path: str = "cursor") -> tuple[datetime, int] | None:
    """None for no cursor; InvalidInput at `path` for one this service did not give out."""
    if not cursor:
        return None
    try:
        at, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        when, number = datetime.fromisoformat(at), int(row_id)
        if not 0 < number <= MAX_ID:
            raise ValueError(row_id)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput.at(path, "not a cursor this API gave out") from error
    return (when if when.tzinfo else when.replace(tzinfo=UTC)), number
