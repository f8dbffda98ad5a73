"""What an outbox row announces (product spec, rule 10): one name per kind of lead change,
and the changes only open boards follow."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    """The delivery events (webhook subscriptions name these)."""

    LEAD_CREATED = "lead.created"
    LEAD_MATCHED = "lead.matched"
    LEAD_STAGE_CHANGED = "lead.stage_changed"
    LEAD_ASSIGNED = "lead.assigned"
    LEAD_CLEARED = "lead.cleared"  # a lead's match in a stream was cleared (rule 7)


class BoardChange(StrEnum):
    """Changes that alter what a board shows but are no delivery event: the webhook fan-out
    passes over them (no subscription can name them), the live feed carries them."""

    LEAD_HIDDEN = "lead.hidden"  # hidden or shown again
    STREAM_CHANGED = "stream.changed"  # switched, edited, cleared, fetched, deleted


# The changes an open board and the stream list follow (pages hand them to their scripts).
BOARD_TOPICS = (*Topic, *BoardChange)

# In a row's payload: the teams that saw the lead or stream before the change (a cleared lead
# has none left, a stream may have lost a team), so that their boards hear of it too.
SEEN_BY = "seen_by_team_ids"
