"""Who may do what (product spec, section 1): one table, checked in one place."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MARKETING = "marketing"
    SALES = "sales"


class Action(StrEnum):
    MANAGE_USERS = "manage_users"
    MANAGE_TEAMS = "manage_teams"
    READ_TEAMS = "read_teams"
    MANAGE_STREAMS = "manage_streams"
    READ_STREAMS = "read_streams"
    MANAGE_CONTACTS = "manage_contacts"
    READ_CONTACTS = "read_contacts"
    INGEST_EVENTS = "ingest_events"
    MANAGE_FIELDS = "manage_fields"
    WORK_LEADS = "work_leads"
    SEE_ALL_LEADS = "see_all_leads"
    READ_JOBS = "read_jobs"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_SCORING = "manage_scoring"  # score sets and score adjustments
    MANAGE_WEBHOOKS = "manage_webhooks"
    READ_REPORTS = "read_reports"  # stream and team performance
    MANAGE_LOST_REASONS = "manage_lost_reasons"  # the reasons the board offers for Lost


_EVERYTHING = frozenset(Action)
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: _EVERYTHING,
    Role.MARKETING: _EVERYTHING
    - {
        Action.MANAGE_USERS,
        Action.MANAGE_TEAMS,
        Action.MANAGE_API_KEYS,
        Action.MANAGE_WEBHOOKS,
        Action.MANAGE_LOST_REASONS,
    },
    # Sales reads contacts only through the leads they can see (404 otherwise).
    Role.SALES: frozenset({Action.READ_STREAMS, Action.READ_TEAMS, Action.WORK_LEADS}),
}


def may(role: Role, action: Action) -> bool:
    return action in PERMISSIONS[role]
