"""the board's indexes: the leads by (stage, created_at, id), so that a board column and
`GET /leads?stage=` page one stage newest first without walking every other stage's leads;
the current matches by (stream_id, lead_id), so that the leads per stream are counted from
the index alone

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_leads_stage_created", "leads", ["stage", "created_at", "id"], unique=False)
    op.create_index(
        "ix_matches_stream_lead",
        "matches",
        ["stream_id", "lead_id"],
        unique=False,
        sqlite_where=sa.text("cleared_at IS NULL"),
        postgresql_where=sa.text("cleared_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_matches_stream_lead", table_name="matches")
    op.drop_index("ix_leads_stage_created", table_name="leads")
