"""Write commits of this process, per database: what a waiting reader may wake on.

The webhook sender sleeps between turns; a unit of work that commits a write here wakes it
at once, so a change made in this process is fanned out without waiting for the next poll.
Changes committed by other processes are still found by the poll.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from leadstreams.store.per_database import PerDatabase


class Commits:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.count = 0

    def record(self) -> None:
        with self._cond:
            self.count += 1
            self._cond.notify_all()

    def wake(self) -> None:
        """Wake the waiters without a commit (one of them is asked to stop)."""
        with self._cond:
            self._cond.notify_all()

    def wait_past(self, seen: int, timeout: float) -> int:
        """Until a commit after the `seen`-th, `wake()` or `timeout` seconds: the count then."""
        with self._cond:
            if self.count == seen:
                self._cond.wait(timeout)
            return self.count


_commits = PerDatabase(Commits)


def of(engine: Engine) -> Commits:
    """The commits of the engine's database (engines on the same URL share them)."""
    return _commits.of(engine)
