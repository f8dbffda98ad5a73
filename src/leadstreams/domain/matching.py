"""When a contact gets a new match, and what it makes (product spec, rules 3 and 4).

Live matching (one contact at a time) and fetch history (set by set, in SQL) both follow
these functions; fetch history's scan states `requalify_cutoff` in SQL as well.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from leadstreams.domain.stages import Stage
from leadstreams.rules.fields import NO_LEAD


class Origin(StrEnum):
    LIVE = "live"
    HISTORY = "history"


@dataclass(frozen=True, slots=True)
class CurrentMatch:
    """A contact's uncleared, unsuperseded match in a stream."""

    id: int | None  # None: planned in this transaction, not written yet
    matched_at: datetime
    lead_closed: bool


@dataclass(frozen=True, slots=True)
class LeadOnBoard:
    """A lead of a contact that is not cleared, as the contact's lead stage reads it."""

    id: int
    created_at: datetime
    stage: str


def requalify_cutoff(now: datetime, requalify_after_days: int | None) -> datetime | None:
    """A closed lead's match made at or before this instant gives way to a new match (rule 3);
    None when the stream does not requalify."""
    if requalify_after_days is None:
        return None
    return now - timedelta(days=requalify_after_days)


def may_match(
    current: CurrentMatch | None, *, requalify_after_days: int | None, now: datetime
) -> bool:
    """Rule 3: a contact with an uncleared match in a stream matches it again only if the
    stream requalifies, the earlier lead is closed, and that match is older than the period."""
    if current is None:
        return True
    cutoff = requalify_cutoff(now, requalify_after_days)
    return cutoff is not None and current.lead_closed and current.matched_at <= cutoff


def leads_to_open(contact_ids: Iterable[int], open_leads: Mapping[int, int]) -> set[int]:
    """Rule 4: the contacts whose new match makes a new lead (in stage mql): those with no
    open lead; the others' matches join their open lead."""
    return set(contact_ids) - set(open_leads)


def announced_as_created(
    written: Iterable[tuple[int, int]], new_leads: Collection[int]
) -> set[int]:
    """Of the matches written, as (match id, lead id), those announced as `lead.created`: the
    first (lowest id) match of each new lead; every other match is `lead.matched`."""
    first: dict[int, int] = {}
    for match_id, lead_id in written:
        if lead_id in new_leads and match_id < first.get(lead_id, match_id + 1):
            first[lead_id] = match_id
    return set(first.values())


def lead_stage(leads: Iterable[LeadOnBoard]) -> str:
    """The contact's lead stage, as rules read it: the stage of its most recent lead that is
    not cleared (by creation, then id), `none` without one."""
    newest = max(leads, key=lambda lead: (lead.created_at, lead.id), default=None)
    return NO_LEAD if newest is None else newest.stage


def stage_after_new_matches(stage: str, *, had_open_lead: bool) -> str:
    """The contact's lead stage once new matches are made: a new lead (when the contact had no
    open lead) is its most recent, in stage mql; matches joining an open lead change nothing."""
    return stage if had_open_lead else Stage.MQL.value
