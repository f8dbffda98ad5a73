"""Leads per stream for the boards' streams boxes, counted once per change of the board.

Every open board refreshes its streams box (at most once a second) while leads arrive, and
one count reads every current match: with a hundred boards open that was a hundred counts a
second of the same numbers. A count is kept per database with the newest outbox id it was
made at: a change of matches writes outbox rows in its transaction, so a reader that sees no
newer row reuses it, and while one count runs the others wait for it. It is also kept for
`FRESH_SECONDS` at most, for a change written without an outbox row, or one whose lower id
commits late (PostgreSQL's serial ids).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy.engine import Connection

from leadstreams.store import commits
from leadstreams.store import outbox as outbox_store
from leadstreams.store import streams as streams_store
from leadstreams.store.per_database import PerDatabase

FRESH_SECONDS = 2.0


class _Counted:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.commits = -1  # this process's write commits on the database when counted
        self.outbox_id = -1
        self.at = 0.0
        self.counts: dict[int, int] = {}


_counted = PerDatabase(_Counted)


def lead_counts(connection: Connection) -> dict[int, int]:
    """`streams.lead_counts` of every stream, as this transaction sees the board or newer.

    One count at a time per database: boards that ask while it runs wait for it and take
    it (it saw their outbox rows or later ones), instead of each counting again. A write
    committed by this process also makes the next reader count again (ids alone may repeat:
    a database emptied and filled again the same way)."""
    seen = commits.of(connection.engine).count
    latest = outbox_store.latest_id(connection)
    kept = _counted.of(connection.engine)
    with kept.lock:
        newer = kept.commits >= seen and kept.outbox_id >= latest
        if newer and time.monotonic() - kept.at < FRESH_SECONDS:
            return dict(kept.counts)
        counts = streams_store.lead_counts(connection)
        kept.commits, kept.outbox_id = seen, latest
        kept.at, kept.counts = time.monotonic(), counts
        return dict(counts)
