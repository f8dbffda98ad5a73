"""What every service needs, built once by `bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from leadstreams.clock import Clock
from leadstreams.config import Settings
from leadstreams.metrics import Metrics
from leadstreams.services.live import LiveIndex
from leadstreams.store.uow import UnitOfWork


@dataclass
class Context:
    settings: Settings
    engine: Engine
    clock: Clock
    metrics: Metrics = field(default_factory=Metrics)
    live: LiveIndex = field(default_factory=LiveIndex)

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, self.clock, read_only=read_only)
