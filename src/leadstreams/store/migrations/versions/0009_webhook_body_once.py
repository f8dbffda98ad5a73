"""webhook bodies kept once per outbox row: `webhook_fanout.body` replaces
`webhook_deliveries.body` (every delivery of a row carried the same bytes)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 12:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Plain ALTER TABLE on SQLite too (3.35+ drops a column in place): a batch operation would copy
# `webhook_deliveries` and drop the original, and with foreign keys on, that drop deletes every
# delivery's attempts (ON DELETE CASCADE).


def upgrade() -> None:
    op.add_column("webhook_fanout", sa.Column("body", sa.Text(), nullable=True))
    # A row's deliveries were all made in one fan-out, from one rendering: any one's body is
    # the row's body.
    op.execute(
        "UPDATE webhook_fanout SET body = (SELECT min(d.body) FROM webhook_deliveries d "
        "WHERE d.outbox_id = webhook_fanout.outbox_id)"
    )
    op.drop_column("webhook_deliveries", "body")


def downgrade() -> None:
    op.add_column("webhook_deliveries", sa.Column("body", sa.Text(), nullable=True))
    op.execute(
        "UPDATE webhook_deliveries SET body = (SELECT f.body FROM webhook_fanout f "
        "WHERE f.outbox_id = webhook_deliveries.outbox_id)"
    )
    if op.get_bind().dialect.name == "postgresql":  # SQLite would copy the table (above)
        op.alter_column("webhook_deliveries", "body", existing_type=sa.Text(), nullable=False)
    op.drop_column("webhook_fanout", "body")
