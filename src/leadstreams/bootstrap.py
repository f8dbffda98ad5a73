"""The one place that builds the database, the clock and the services' context."""

from __future__ import annotations

import logging

from leadstreams.clock import Clock, SystemClock
from leadstreams.config import Settings
from leadstreams.services.context import Context
from leadstreams.store import state
from leadstreams.store.database import Database
from leadstreams.store.migrate import upgrade


def bootstrap(settings: Settings, *, clock: Clock | None = None) -> Context:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    database = Database.at(settings.database_url)
    return Context(settings=settings, database=database, clock=clock or SystemClock())


def init_database(ctx: Context) -> None:
    """Create or migrate the schema; keep a generated secret key when none is configured."""
    upgrade(ctx.database.engine)
    with ctx.uow() as uow:
        state.ensure_secret_key(uow.connection)
        uow.commit()


def secret_key(ctx: Context) -> str:
    if ctx.settings.secret_key is not None:
        return ctx.settings.secret_key.get_secret_value()
    with ctx.uow(read_only=True) as uow:
        key = state.get(uow.connection, state.SECRET_KEY)
    if key is None:
        raise RuntimeError("no secret key: run `leadstreams init` or set LEADSTREAMS_SECRET_KEY")
    return key
