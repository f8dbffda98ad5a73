"""The migrations build exactly the schema that `store/tables.py` declares, on both
databases, as one line of history (several branches each adding a migration must be chained,
not left as heads side by side)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from leadstreams.store.migrate import MIGRATIONS, _config
from leadstreams.store.tables import metadata


def test_the_migrations_are_one_line_of_history() -> None:
    script = ScriptDirectory.from_config(_config(None))
    assert len(script.get_heads()) == 1, script.get_heads()
    assert MIGRATIONS.is_dir()


def test_the_migrated_schema_is_the_declared_one(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []
