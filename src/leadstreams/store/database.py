"""One database: the engine `bootstrap` made for it, and the units of work on it."""

from __future__ import annotations

from sqlalchemy import Engine, text

from leadstreams.clock import Clock
from leadstreams.store.engine import make_engine
from leadstreams.store.uow import UnitOfWork


class Database:
    """What services hold instead of an engine: they open units of work on it, nothing else."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def at(cls, url: str) -> Database:
        return cls(make_engine(url))

    def uow(self, clock: Clock, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, clock, read_only=read_only)

    def check(self) -> None:
        """Raise unless the database answers a query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close the pooled connections (a process that forks or ends)."""
        self.engine.dispose()
