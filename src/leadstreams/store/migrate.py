"""Create or upgrade the schema with Alembic (the migrations live in store/migrations)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")


def revision(engine: Engine, message: str) -> None:
    """For developers: write a new migration from the difference with `tables.py`."""
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
