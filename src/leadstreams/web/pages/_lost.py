"""A move to Lost from a page: the reason chosen from the admins' list and the words typed
make the lead's `lost_reason` ("No budget: next year"); the pages ask for one of the two."""

from __future__ import annotations

from leadstreams.domain.stages import Stage
from leadstreams.errors import InvalidInput
from leadstreams.schemas.leads import LeadUpdate

ASK = "Choose why the lead is lost, or say it in words."


def reason_of(choice: str, detail: str) -> str | None:
    """`choice: detail`, either alone, or None when both are empty."""
    parts = [part.strip() for part in (choice, detail) if part.strip()]
    return ": ".join(parts) or None


def stage_move(stage: Stage, *, choice: str = "", detail: str = "") -> LeadUpdate:
    """The update a page's move makes; a move to Lost needs its reason."""
    if stage is not Stage.LOST:
        return LeadUpdate(stage=stage)
    reason = reason_of(choice, detail)
    if reason is None:
        raise InvalidInput.at("lost_reason", ASK)
    if len(reason) > 1000:
        raise InvalidInput.at("lost_reason", "Say it in at most 1,000 characters.")
    return LeadUpdate(stage=stage, lost_reason=reason)
