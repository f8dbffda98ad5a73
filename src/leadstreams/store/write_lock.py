"""SQLite's writers in one process take turns, first come first served.

SQLite lets one transaction write at a time; a writer that finds the lock taken sleeps in
SQLite's busy handler (1, 2, 5, ... then 100 ms at a time) and retries. A thread that writes
again and again (ingestion) then takes the lock back within microseconds of releasing it,
and another thread (the webhook sender) can wait seconds for a turn, while every wait it
does win costs up to 100 ms of sleep beyond the lock's release. The units of work of one
process therefore queue here first, in order, and the lock passes straight to the next in
line. Other processes still meet at SQLite's own lock; correctness never rests on this one
(nor does a transaction begun again on a unit of work after its commit: it goes unqueued).
"""

from __future__ import annotations

import threading
from collections import deque

from sqlalchemy import Engine

from leadstreams.store.per_database import PerDatabase

WAIT_SECONDS = 30.0  # as SQLite's busy timeout (store/engine.py); then SQLite decides


class FairLock:
    """A reentrant lock handed to its waiters in the order they came."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[tuple[int, threading.Lock]] = deque()
        self._owner: int | None = None
        self._depth = 0

    @property
    def waiting(self) -> int:
        """How many threads are in line."""
        with self._mutex:
            return len(self._waiters)

    def acquire(self, timeout: float = WAIT_SECONDS) -> bool:
        """True once held; False after `timeout` seconds in line (the place is given up)."""
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None:
                self._owner, self._depth = me, 1
                return True
            gate = threading.Lock()
            gate.acquire()
            self._waiters.append((me, gate))
        if gate.acquire(timeout=timeout):
            return True  # handed over by release()
        with self._mutex:
            if (me, gate) in self._waiters:  # not handed over: give up the place in line
                self._waiters.remove((me, gate))
                return False
        return True  # handed over while the wait timed out

    def release(self) -> None:
        with self._mutex:  # by the holder, not necessarily from the thread that acquired
            if self._owner is None:
                raise RuntimeError("the write lock is not held")
            self._depth -= 1
            if self._depth:
                return
            if self._waiters:
                self._owner, gate = self._waiters.popleft()
                self._depth = 1
                gate.release()
            else:
                self._owner = None


_locks = PerDatabase(FairLock)


def for_engine(engine: Engine) -> FairLock | None:
    """The lock of the engine's SQLite database file (one per file in this process), or None
    (PostgreSQL: writers do not exclude one another)."""
    if engine.dialect.name != "sqlite":
        return None
    return _locks.of(engine)
