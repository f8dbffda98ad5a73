"""the leads' index by (stage, created_at, id): a board column and `GET /leads?stage=` page
one stage newest first without walking every other stage's leads

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_leads_stage_created", "leads", ["stage", "created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_leads_stage_created", table_name="leads")
