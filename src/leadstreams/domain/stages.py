"""Lead stages (product spec, rule 5): any move is allowed; won and lost close the lead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadstreams.errors import Conflict

# Defined beside the lead_stage field of the rule vocabulary, which lists the stages too.
from leadstreams.rules.fields import Stage as Stage

CLOSED_STAGES = frozenset({Stage.WON, Stage.LOST})


def closes(stage: Stage) -> bool:
    return stage in CLOSED_STAGES


@dataclass(frozen=True, slots=True)
class Move:
    """A lead after a move: its stage, when it closed (None: open), and whether it reopened."""

    stage: Stage
    closed_at: datetime | None
    reopens: bool


def move(*, to: Stage, closed_at: datetime | None, now: datetime) -> Move:
    """Any move is allowed (sales corrects mistakes). Won and lost close the lead, keeping the
    time it first closed (won to lost is a correction, not a second close); any other stage
    reopens a closed lead."""
    if closes(to):
        return Move(to, closed_at or now, reopens=False)
    return Move(to, None, reopens=closed_at is not None)


def check_reopen(*, other_open_lead: int | None) -> None:
    """A lead reopens only while its contact has no other open lead (one open lead, rule 4)."""
    if other_open_lead is not None:
        raise Conflict(
            f"the contact has another open lead ({other_open_lead}); work that one instead"
        )
