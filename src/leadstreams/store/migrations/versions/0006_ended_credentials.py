"""ended credentials: a credentials version per user, and revoked tokens and sessions

Revision ID: 0006
Revises: 0001
Create Date: 2026-12-03 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import leadstreams.store.types

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("credentials_version", sa.Integer(), server_default="1", nullable=False)
        )
    op.create_table(
        "ended_credentials",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", leadstreams.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ended_credentials")),
    )
    op.create_index(
        "ix_ended_credentials_expires_at", "ended_credentials", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_ended_credentials_expires_at", table_name="ended_credentials")
    op.drop_table("ended_credentials")
    # In place, not a batch copy: on SQLite, dropping the copied `users` would delete every
    # row that refers to a user (ON DELETE CASCADE, foreign keys on). SQLite 3.35+.
    op.drop_column("users", "credentials_version")
