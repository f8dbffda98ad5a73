"""The real service layer on a benchmark database: a context, a team, active streams."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from bench.data import NOW
from leadstreams.clock import FixedClock
from leadstreams.config import Settings
from leadstreams.schemas.streams import StreamCreate
from leadstreams.schemas.users import TeamCreate
from leadstreams.services import streams, users
from leadstreams.services.context import Context
from leadstreams.store.database import Database

SECRET = "bench-secret-key-bench-secret-key"
# What a run makes, emptied before and after so that the cached datasets stay as loaded.
MADE = ("outbox", "matches", "lead_stage_changes", "lead_notes", "leads", "jobs",
        "stream_history", "stream_teams", "streams", "team_members", "teams")  # fmt: skip


def context(url: str, **settings: Any) -> Context:
    config = Settings(database_url=url, secret_key=SECRET, log_level="WARNING", **settings)
    return Context(settings=config, database=Database.at(url), clock=FixedClock(NOW))


def team(ctx: Context) -> int:
    return users.create_team(ctx, data=TeamCreate(name="Bench")).id


def add_stream(ctx: Context, *, team_id: int, name: str, rules: dict[str, Any]) -> int:
    data = StreamCreate(name=name, rules=rules, team_ids=[team_id])
    stream_id = streams.create_stream(ctx, data=data, user_id=None).id
    streams.set_active(ctx, stream_id=stream_id, active=True, user_id=None)
    return stream_id


def empty(engine: Engine, tables: tuple[str, ...] = MADE, *, restart_ids: bool = False) -> None:
    """Delete what runs make. `restart_ids` (PostgreSQL): also restart the emptied tables' id
    sequences, as SQLite does by itself (an empty table's next id is 1 there), for a copy
    whose benchmark counts on the ids a fresh dataset gives (`lead_board.TEAM`)."""
    restart = restart_ids and engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (constants)
            if restart:
                connection.execute(RESTART_ID, {"table": table})


RESTART_ID = text(  # nothing for a table keyed by two ids (no column `id`)
    "SELECT setval(pg_get_serial_sequence(table_name, 'id'), 1, false) "
    "FROM information_schema.columns WHERE table_schema = current_schema() "
    "AND table_name = :table AND column_name = 'id'"
)


def lead_contacts(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT contact_id FROM leads ORDER BY contact_id")))
