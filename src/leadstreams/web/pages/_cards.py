"""Leads as the board shows them: a card's name, age, streams and assignee, stage labels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadstreams.domain.assignment import AssignedBy
from leadstreams.domain.stages import Stage
from leadstreams.schemas.contacts import ContactRead
from leadstreams.schemas.leads import LeadContact, LeadRead
from leadstreams.services.leads import cursor_after

STAGES: dict[str, str] = {
    Stage.MQL: "MQL",
    Stage.SQL: "SQL",
    Stage.OPPORTUNITY: "Opportunity",
    Stage.WON: "Won",
    Stage.LOST: "Lost / No opportunity",
}


# How an assignment was made, as cards and the lead's history name it.
ASSIGNED_BY: dict[str, str] = {
    AssignedBy.ROUND_ROBIN: "round robin",
    AssignedBy.WEIGHTED: "weighted",
    AssignedBy.FALLBACK: "fallback",
    AssignedBy.NOBODY: "nobody available",
    AssignedBy.HAND: "by hand",
}


def display_name(contact: LeadContact | ContactRead) -> str:
    parts = [contact.first_name, contact.last_name]
    full = " ".join(part for part in parts if part)
    return full or contact.email or f"Contact {contact.id}"


def age(then: datetime, now: datetime) -> str:
    """A short, rounded-down age: "just now", "5 min", "3 h", "2 d", "7 wk", "4 mo", "2 y"."""
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = max((now - then).total_seconds(), 0)
    steps = (("y", 365 * 86400), ("mo", 30 * 86400), ("wk", 7 * 86400), ("d", 86400))
    for unit, size in (*steps, ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return "just now"


def card(
    lead: LeadRead,
    *,
    names: dict[int, str],
    now: datetime,
    team_names: dict[int, str] | None = None,
    mine: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    """`team_names`: to say which teams see a shared lead (rule 4); `mine`: the viewer's teams
    (None: sees every lead), whom "also seen by" leaves out."""
    contact = lead.contact
    created = lead.created_at
    known = team_names or {}
    shared = len(lead.team_ids) > 1
    others = [t for t in lead.team_ids if mine is None or t not in mine]
    return {
        "teams": [known.get(t, f"team {t}") for t in lead.team_ids] if shared else [],
        "also_seen_by": ", ".join(known.get(t, f"team {t}") for t in others) if shared else "",
        "id": lead.id,
        "name": display_name(contact),
        "email": contact.email,
        "company": contact.company,
        "score": contact.lead_score,
        "category": contact.category,
        "streams": sorted({match.stream_name for match in lead.matches}),
        "stream_ids": " ".join(sorted({str(match.stream_id) for match in lead.matches})),
        "age": age(created, now),
        "created": created.strftime("%Y-%m-%d %H:%M UTC"),
        # newest first, as the service lists them: the script places live cards by this key
        "sort": f"{created:%Y-%m-%dT%H:%M:%S.%f}|{lead.id:012d}",
        # where "Show more" continues when the board trims its column after this card
        "cursor": cursor_after(created, lead.id),
        "assignee": names.get(lead.assignee_id) if lead.assignee_id else None,
        # which policy assigned it and why; "none": nobody was available (the card says so)
        "assigned_by": ASSIGNED_BY.get(lead.assignment.policy) if lead.assignment else None,
        "assignment_reason": lead.assignment.reason if lead.assignment else None,
        "stage": lead.stage,
        "hidden": lead.hidden,
    }


def cards(
    leads: list[LeadRead],
    *,
    names: dict[int, str],
    now: datetime,
    team_names: dict[int, str] | None = None,
    mine: tuple[int, ...] | None = None,
) -> list[dict[str, Any]]:
    return [card(lead, names=names, now=now, team_names=team_names, mine=mine) for lead in leads]
