"""This process's index of active streams, kept in step with the database.

Every write transaction that may match reads the streams revision first (one tiny query);
when another process changed a stream, the index is rebuilt before anything is evaluated, so
a deactivated stream never matches and an activated one never misses a change.
"""

from __future__ import annotations

import threading

from leadstreams.engine.index import LiveStream, StreamIndex
from leadstreams.engine.score_index import LiveScoreRule, ScoreIndex
from leadstreams.rules import Vocabulary, parse
from leadstreams.store import fields as fields_store
from leadstreams.store import scores as scores_store
from leadstreams.store import state
from leadstreams.store import streams as streams_store
from leadstreams.store.uow import UnitOfWork


class LiveIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: str | None = None
        self._index: StreamIndex | None = None

    def current(self, uow: UnitOfWork) -> StreamIndex:
        """The index as of this unit of work's streams revision."""
        revision = state.streams_revision(uow.connection)
        with self._lock:
            if self._index is None or revision != self._revision:
                self._index = _build(uow)
                self._revision = revision
            return self._index


def _build(uow: UnitOfWork) -> StreamIndex:
    vocabulary = fields_store.vocabulary(uow.connection)
    live = [
        LiveStream.compile(
            id=stream.id,
            version=stream.version,
            rule=parse(stream.rules, vocabulary),
            requalify_after_days=stream.requalify_after_days,
        )
        for stream in streams_store.active(uow.connection)
    ]
    return StreamIndex(live, vocabulary, _scoring(uow, vocabulary))


def _scoring(uow: UnitOfWork, vocabulary: Vocabulary) -> ScoreIndex:
    """The rules of the active score sets (read with the streams, under the same revision)."""
    rules = [
        LiveScoreRule.compile(
            id=row.id,
            score_set_id=row.score_set_id,
            score_set=set_name,
            name=row.name,
            points=row.points,
            rule=parse(row.criteria, vocabulary),
        )
        for row, set_name in scores_store.active_rules(uow.connection)
    ]
    return ScoreIndex(rules, any_active=scores_store.any_active(uow.connection))
