"""What every service needs, built once by `bootstrap`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from leadstreams.clock import Clock
from leadstreams.config import Settings
from leadstreams.metrics import Metrics
from leadstreams.services.live import LiveIndex
from leadstreams.store.database import Database
from leadstreams.store.uow import UnitOfWork


class UserChanges:
    """How many changes to users, teams or memberships this process has committed.

    The use cases that make such a change `record` it with `uow.after_commit`; what was read
    about users under an older count (the principal cache) is out of date.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def record(self) -> None:
        with self._lock:
            self._generation += 1


@dataclass
class Context:
    settings: Settings
    database: Database
    clock: Clock
    metrics: Metrics = field(default_factory=Metrics)
    live: LiveIndex = field(default_factory=LiveIndex)
    user_changes: UserChanges = field(default_factory=UserChanges)

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return self.database.uow(self.clock, read_only=read_only)
