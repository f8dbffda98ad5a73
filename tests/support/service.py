"""A real service context on a fresh database, for integration and API tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from leadstreams.clock import FixedClock
from leadstreams.config import Settings
from leadstreams.services.context import Context
from leadstreams.store.database import Database
from leadstreams.store.tables import metadata

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def reset(engine: Engine) -> None:
    """Empty every table (faster than dropping and migrating for each test)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())


def make_context(engine: Engine, url: str) -> Context:
    settings = Settings(database_url=url, secret_key="x" * 32, fetch_history_chunk=7)
    return Context(settings=settings, database=Database(engine), clock=FixedClock(START))


Snapshot = dict[str, list[dict[str, object]]]


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table, to put the database back as it was with `restore`."""
    with engine.connect() as connection:
        return {
            t.name: [dict(row._mapping) for row in connection.execute(t.select())]
            for t in metadata.sorted_tables
        }


def restore(engine: Engine, rows: Snapshot) -> None:
    """The database as `snapshot` found it, with ids counting on from the same place."""
    reset(engine)
    with engine.begin() as connection:
        if (
            engine.dialect.name == "sqlite"
            and connection.execute(
                text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
            ).first()
        ):
            connection.execute(text("DELETE FROM sqlite_sequence"))
        for table in metadata.sorted_tables:
            if rows[table.name]:
                connection.execute(table.insert(), rows[table.name])
        if engine.dialect.name == "postgresql":
            for table in metadata.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement is True and rows[table.name]:
                    connection.execute(
                        text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                        {"t": table.name, "n": max(int(r["id"]) for r in rows[table.name])},  # type: ignore[call-overload]
                    )
