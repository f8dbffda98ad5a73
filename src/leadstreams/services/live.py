"""This process's index of active streams, kept in step with the database.

Every write transaction that may match reads the streams revision first (one tiny query);
when another process changed a stream, the index is rebuilt before anything is evaluated, so
a deactivated stream never matches and an activated one never misses a change.
"""

from __future__ import annotations

import threading

from sqlalchemy.engine import Connection

from leadstreams.engine.index import LiveStream, StreamIndex
from leadstreams.rules import parse
from leadstreams.store import fields as fields_store
from leadstreams.store import state
from leadstreams.store import streams as streams_store


class LiveIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: str | None = None
        self._index: StreamIndex | None = None

    def current(self, connection: Connection) -> StreamIndex:
        revision = state.streams_revision(connection)
        with self._lock:
            if self._index is None or revision != self._revision:
                self._index = _build(connection)
                self._revision = revision
            return self._index


def _build(connection: Connection) -> StreamIndex:
    vocabulary = fields_store.vocabulary(connection)
    live = [
        LiveStream.compile(
            id=stream.id,
            version=stream.version,
            rule=parse(stream.rules, vocabulary),
            requalify_after_days=stream.requalify_after_days,
        )
        for stream in streams_store.active(connection)
    ]
    return StreamIndex(live, vocabulary)
