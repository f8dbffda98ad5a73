"""The unit of work: one transaction, owned here; callbacks run only after it commits."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from leadstreams.clock import Clock
from leadstreams.store import commits, write_lock
from leadstreams.store.conflicts import as_conflict


class UnitOfWork:
    """`with uow: ...; uow.commit()`; leaving without commit rolls back."""

    def __init__(self, engine: Engine, clock: Clock, *, read_only: bool = False) -> None:
        self.engine = engine
        self.clock = clock
        self.read_only = read_only
        self._after_commit: list[Callable[[], None]] = []
        self._connection: Connection | None = None
        # SQLite: this process's writers queue in order (store/write_lock.py)
        self._write_lock = None if read_only else write_lock.for_engine(engine)
        self._holds_lock = False
        self._commits = None if read_only else commits.of(engine)  # wakes the webhook sender

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open")
        return self._connection

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        if self._write_lock is not None:
            self._holds_lock = self._write_lock.acquire()
        try:
            connection = self.engine.connect()
            if self.read_only:
                connection = connection.execution_options(sqlite_begin="DEFERRED")
            connection.begin()
        except BaseException:
            self._release()
            raise
        self._connection = connection
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                connection.rollback()
            connection.close()
        finally:
            self._release()
        self._after_commit.clear()
        conflict = None if exc is None else as_conflict(exc)
        if conflict is not None:  # a key taken by a concurrent transaction: 409, not 500
            raise conflict from exc

    def _release(self) -> None:
        if self._holds_lock and self._write_lock is not None:
            self._holds_lock = False
            self._write_lock.release()

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def commit(self) -> None:
        self.connection.commit()
        self._release()  # before the callbacks: they may wait for other writers
        if self._commits is not None:
            self._commits.record()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()
