"""Alembic environment: run with the connection `store.migrate` hands over."""

from __future__ import annotations

from alembic import context

from leadstreams.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
)
with context.begin_transaction():
    context.run_migrations()
