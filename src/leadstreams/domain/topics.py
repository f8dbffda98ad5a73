"""What an outbox row announces (product spec, rule 10): one name per kind of lead change
written so far (`lead.cleared` comes with clearing's delivery)."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    LEAD_CREATED = "lead.created"
    LEAD_MATCHED = "lead.matched"
    LEAD_STAGE_CHANGED = "lead.stage_changed"
    LEAD_ASSIGNED = "lead.assigned"


# The changes an open board shows as they happen (pages hand them to their scripts).
BOARD_TOPICS = (
    Topic.LEAD_CREATED,
    Topic.LEAD_MATCHED,
    Topic.LEAD_STAGE_CHANGED,
    Topic.LEAD_ASSIGNED,
)
