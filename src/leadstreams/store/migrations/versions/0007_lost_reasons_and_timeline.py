"""lost reasons (the admins' list, a lead's reason, the reason of a move to lost), and the
timeline's index on events (contact, occurred_at, id)

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-03 15:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import leadstreams.store.types

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lost_reasons",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", leadstreams.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lost_reasons")),
        sa.UniqueConstraint("label", name=op.f("uq_lost_reasons_label")),
    )
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("lost_reason", sa.String(length=1000), nullable=True))
    with op.batch_alter_table("lead_stage_changes") as batch:
        batch.add_column(sa.Column("lost_reason", sa.String(length=1000), nullable=True))
    op.create_index(
        "ix_events_contact_occurred", "events", ["contact_id", "occurred_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_events_contact_occurred", table_name="events")
    # In place, not a batch copy: on SQLite, dropping the copied `leads` would delete every
    # row that refers to a lead (ON DELETE CASCADE, foreign keys on). SQLite 3.35+.
    op.drop_column("lead_stage_changes", "lost_reason")
    op.drop_column("leads", "lost_reason")
    op.drop_table("lost_reasons")
