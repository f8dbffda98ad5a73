"""the webhook fan-out's mark and body on the outbox row itself: `outbox.fanned_out_at`
(with a partial index of the rows not yet fanned out, the fan-out's queue) and
`outbox.webhook_body` replace the table `webhook_fanout`, whose absence the fan-out found by
scanning a day of outbox rows, and `webhook_deliveries.body` (every delivery of a row
carried the same bytes)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 12:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import leadstreams.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Columns are dropped with plain ALTER TABLE on SQLite too (3.35+): a batch operation copies
# the table and drops the original, and with foreign keys on, that drop deletes every row
# referring to it (a delivery's attempts, for one: ON DELETE CASCADE).
_NOT_FANNED = sa.text("fanned_out_at IS NULL")


def upgrade() -> None:
    op.add_column(
        "outbox",
        sa.Column("fanned_out_at", leadstreams.store.types.UTCDateTime(), nullable=True),
    )
    op.add_column("outbox", sa.Column("webhook_body", sa.Text(), nullable=True))
    # A row's deliveries were all made in one fan-out, from one rendering: any one's body is
    # the row's body.
    op.execute(
        "UPDATE outbox SET "
        "fanned_out_at = (SELECT f.fanned_out_at FROM webhook_fanout f "
        "WHERE f.outbox_id = outbox.id), "
        "webhook_body = (SELECT min(d.body) FROM webhook_deliveries d "
        "WHERE d.outbox_id = outbox.id)"
    )
    op.drop_index("ix_outbox_created_at", table_name="outbox")
    op.create_index(
        "ix_outbox_unannounced",
        "outbox",
        ["created_at", "id"],
        unique=False,
        sqlite_where=_NOT_FANNED,
        postgresql_where=_NOT_FANNED,
    )
    op.drop_table("webhook_fanout")
    op.drop_column("webhook_deliveries", "body")


def downgrade() -> None:
    op.add_column("webhook_deliveries", sa.Column("body", sa.Text(), nullable=True))
    op.execute(
        "UPDATE webhook_deliveries SET body = (SELECT o.webhook_body FROM outbox o "
        "WHERE o.id = webhook_deliveries.outbox_id)"
    )
    if op.get_bind().dialect.name == "postgresql":  # SQLite would copy the table (above)
        op.alter_column("webhook_deliveries", "body", existing_type=sa.Text(), nullable=False)
    op.create_table(
        "webhook_fanout",
        sa.Column(
            "outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("fanned_out_at", leadstreams.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_webhook_fanout_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outbox_id", name=op.f("pk_webhook_fanout")),
    )
    op.execute(
        "INSERT INTO webhook_fanout (outbox_id, deliveries, fanned_out_at) "
        "SELECT o.id, (SELECT count(*) FROM webhook_deliveries d WHERE d.outbox_id = o.id), "
        "o.fanned_out_at FROM outbox o WHERE o.fanned_out_at IS NOT NULL"
    )
    op.drop_index("ix_outbox_unannounced", table_name="outbox")
    op.create_index("ix_outbox_created_at", "outbox", ["created_at", "id"], unique=False)
    op.drop_column("outbox", "webhook_body")
    op.drop_column("outbox", "fanned_out_at")
