"""The migrations build exactly the schema that `store/tables.py` declares, on both
databases, as one line of history (several branches each adding a migration must be chained,
not left as heads side by side)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from leadstreams.store.engine import make_engine
from leadstreams.store.migrate import MIGRATIONS, _config, upgrade
from leadstreams.store.tables import metadata
from tests.support import builders
from tests.support.service import make_context
from tests.support.webhooks import make_leads


def test_the_migrations_are_one_line_of_history() -> None:
    script = ScriptDirectory.from_config(_config(None))
    assert len(script.get_heads()) == 1, script.get_heads()
    assert MIGRATIONS.is_dir()


def test_the_migrated_schema_is_the_declared_one(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


@contextmanager
def _scratch(engine: Engine, tmp_path: Path) -> Iterator[Connection]:
    """A connection to an empty schema, thrown away afterwards: a new SQLite file, or on
    PostgreSQL a schema of its own inside a transaction that is rolled back (DDL included)."""
    if engine.dialect.name == "sqlite":
        scratch = make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
        with scratch.begin() as connection:
            yield connection
        scratch.dispose()
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE SCHEMA scratch; SET LOCAL search_path TO scratch")
        yield connection
        connection.rollback()


_ROWS_AT_0008 = [
    "INSERT INTO outbox (id, topic, lead_id, payload, created_at) VALUES "
    "(1, 'lead.created', NULL, '{}', :at), (2, 'lead.created', NULL, '{}', :at), "
    "(3, 'lead.created', NULL, '{}', :at)",
    "INSERT INTO webhook_subscriptions (id, url, events, active, secret, created_at, "
    "updated_at) VALUES (1, 'http://a', '[]', true, 's', :at, :at), "
    "(2, 'http://b', '[]', true, 's', :at, :at)",
    "INSERT INTO webhook_fanout (outbox_id, deliveries, fanned_out_at) VALUES "
    "(1, 2, :at), (2, 0, :at)",  # 3: not fanned out yet
    "INSERT INTO webhook_deliveries (id, subscription_id, outbox_id, message_id, topic, body, "
    "status, attempt_count, gives_up_at, created_at) VALUES "
    "(1, 1, 1, 'msg_1', 'lead.created', 'the body', 'pending', 1, :at, :at), "
    "(2, 2, 1, 'msg_2', 'lead.created', 'the body', 'pending', 0, :at, :at)",
    "INSERT INTO webhook_attempts (delivery_id, at, status_code, duration_ms) VALUES "
    "(1, :at, 503, 12)",
]


def test_the_fan_out_mark_and_body_move_to_the_outbox_and_back(
    engine: Engine, tmp_path: Path
) -> None:
    """Migration 0009 puts a row's fan-out time and body on the outbox row (the body once,
    not per delivery) and drops `webhook_fanout`; no row, body or attempt is lost either way."""
    at = datetime(2026, 3, 1, 9)
    with _scratch(engine, tmp_path) as connection:
        config = _config(connection)
        command.upgrade(config, "0008")
        for statement in _ROWS_AT_0008:
            connection.execute(text(statement), {"at": at})

        command.upgrade(config, "0009")
        moved = "SELECT id, fanned_out_at, webhook_body FROM outbox ORDER BY id"
        assert [tuple(row) for row in connection.execute(text(moved))] == [
            (1, _stored(at, engine), "the body"),
            (2, _stored(at, engine), None),
            (3, None, None),
        ]
        columns = {c["name"] for c in inspect(connection).get_columns("webhook_deliveries")}
        assert "body" not in columns
        assert "webhook_fanout" not in inspect(connection).get_table_names()
        assert connection.exec_driver_sql("SELECT count(*) FROM webhook_attempts").scalar() == 1

        command.downgrade(config, "0008")
        bodies = "SELECT id, body FROM webhook_deliveries ORDER BY id"
        assert connection.exec_driver_sql(bodies).all() == [(1, "the body"), (2, "the body")]
        marks = "SELECT outbox_id, deliveries FROM webhook_fanout ORDER BY outbox_id"
        assert connection.exec_driver_sql(marks).all() == [(1, 2), (2, 0)]
        assert connection.exec_driver_sql("SELECT count(*) FROM webhook_attempts").scalar() == 1


def _stored(at: datetime, engine: Engine) -> object:
    """A time as a raw read returns it: SQLite keeps the text `UTCDateTime` wrote."""
    return at if engine.dialect.name == "postgresql" else at.isoformat(sep=" ")


def test_downgrading_keeps_the_rows_of_the_tables_it_keeps(tmp_path: Path) -> None:
    """SQLite alters a table by copying it, and dropping the original deletes every row that
    refers to it (ON DELETE CASCADE, foreign keys on): no downgrade may do that. Down to the
    first migration, through every later one's downgrade."""
    url = f"sqlite:///{tmp_path / 'down.db'}"
    engine = make_engine(url)
    upgrade(engine)
    ctx = make_context(engine, url)
    team = builders.team(ctx)
    builders.user(ctx, "sales@example.com", team_ids=[team])
    make_leads(ctx, 2, team_id=team)
    before = _counts(engine)
    assert before["leads"] == before["matches"] == 2 and before["team_members"] == 1

    with engine.begin() as connection:
        command.downgrade(_config(connection), "0001")
    after = _counts(engine)
    assert after == {table: before[table] for table in after}
    assert {"leads", "matches", "team_members", "users"} <= set(after)
    engine.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        return {
            table: connection.scalar(text(f'SELECT count(*) FROM "{table}"'))  # noqa: S608
            for table in tables
            if table != "alembic_version"
        }
