"""Lead stages (product spec, rule 5): any move is allowed; won and lost close the lead."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    MQL = "mql"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"


CLOSED_STAGES = frozenset({Stage.WON, Stage.LOST})


def closes(stage: Stage) -> bool:
    return stage in CLOSED_STAGES
