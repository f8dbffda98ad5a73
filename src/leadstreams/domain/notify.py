"""E-mail to the team when a lead arrives (product spec, section 4a), as pure functions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

EPOCH_MINUTE = 60


class NotifyMode(StrEnum):
    OFF = "off"
    IMMEDIATE = "immediate"
    DIGEST = "digest"


def recipients(
    *, assignee_id: int | None, member_ids: Sequence[int], opted_out: Collection[int]
) -> list[int]:
    """The assignee only, when the lead is assigned; else every member; never who opted out."""
    wanted = [assignee_id] if assignee_id is not None else list(member_ids)
    return [user_id for user_id in wanted if user_id not in opted_out]


def due_at(mode: NotifyMode, *, now: datetime, digest_minutes: int) -> datetime:
    """When a mail is due: at once, or at the end of the digest period `now` falls in. Periods
    are aligned to whole multiples of `digest_minutes` since the epoch, so every lead of a
    period shares one due time and a user's digest groups them."""
    if mode is not NotifyMode.DIGEST:
        return now
    period = digest_minutes * EPOCH_MINUTE
    end = (int(now.timestamp()) // period + 1) * period
    return datetime.fromtimestamp(end, UTC)


def retry_delay(attempts: int) -> timedelta:
    """After a failed send: 30 s, 1 min, 2 min ... at most 15 min, for as long as it fails."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 15 * 60))
