"""lead scoring: score sets, rules, adjustments, per-contact score state and history

Revision ID: 0002
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadstreams.store.types

revision = "0002"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, leadstreams.store.types.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "score_sets",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_sets")),
        sa.UniqueConstraint("name_key", name=op.f("uq_score_sets_name_key")),
    )
    op.create_table(
        "score_rules",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("score_set_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("criteria", _JSON, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["score_set_id"],
            ["score_sets.id"],
            name=op.f("fk_score_rules_score_set_id_score_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_rules")),
    )
    op.create_index("ix_score_rules_set", "score_rules", ["score_set_id", "position"])
    op.create_table(
        "score_adjustments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("contact_id", _ID, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        _at("expires_at", nullable=True),
        sa.Column("user_id", _ID, nullable=True),
        _at("created_at"),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_score_adjustments_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_score_adjustments_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_adjustments")),
    )
    op.create_index("ix_score_adjustments_contact", "score_adjustments", ["contact_id"])
    op.create_table(
        "contact_scores",
        sa.Column("contact_id", _ID, nullable=False),
        sa.Column("holding", _JSON, nullable=False),
        _at("changes_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_scores_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contact_scores")),
    )
    op.create_index("ix_contact_scores_changes_at", "contact_scores", ["changes_at"])
    op.create_table(
        "score_history",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("contact_id", _ID, nullable=False),
        _at("at"),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("reason", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_score_history_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_history")),
    )
    op.create_index("ix_score_history_contact", "score_history", ["contact_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_score_history_contact", table_name="score_history")
    op.drop_table("score_history")
    op.drop_index("ix_contact_scores_changes_at", table_name="contact_scores")
    op.drop_table("contact_scores")
    op.drop_index("ix_score_adjustments_contact", table_name="score_adjustments")
    op.drop_table("score_adjustments")
    op.drop_index("ix_score_rules_set", table_name="score_rules")
    op.drop_table("score_rules")
    op.drop_table("score_sets")
