"""What a stream's log records (product spec, rule 8): every edit, switch, clear and fetch."""

from __future__ import annotations

from enum import StrEnum


class StreamAction(StrEnum):
    """The action of one entry of a stream's log, as stored and as the API shows it."""

    CREATED = "created"
    EDITED = "edited"
    ACTIVATED = "activated"
    DEACTIVATED = "deactivated"
    CLEARED = "cleared"
    FETCH_HISTORY_STARTED = "fetch_history_started"
    FETCH_HISTORY_DONE = "fetch_history_done"
    DELETED = "deleted"
