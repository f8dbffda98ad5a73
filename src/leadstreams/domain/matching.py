"""When a new match may be made for a contact that already has one (product spec, rule 3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class CurrentMatch:
    matched_at: datetime
    lead_closed: bool


def may_requalify(
    current: CurrentMatch, *, requalify_after_days: int | None, now: datetime
) -> bool:
    """A contact with an uncleared match in a stream matches it again only if the stream
    requalifies, the earlier lead is closed, and that match is older than the period."""
    if requalify_after_days is None or not current.lead_closed:
        return False
    return current.matched_at <= now - timedelta(days=requalify_after_days)
