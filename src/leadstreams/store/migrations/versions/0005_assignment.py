"""assignment inside teams and e-mail to the team (product spec, section 4a)

Revision ID: 0005
Revises: 0003 (written on 0001; chained after main's 0006 so that the branch has one head)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import leadstreams.store.types

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = leadstreams.store.types.UTCDateTime


def _id(
    name: str, table: str, *, nullable: bool = True, ondelete: str = "SET NULL"
) -> sa.Column[int]:
    return sa.Column(name, Id, sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "team_delivery",
        sa.Column("team_id", Id, sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
        sa.Column("policy", sa.String(20), nullable=False),
        _id("fallback_user_id", "users"),
        sa.Column("notify_mode", sa.String(20), nullable=False),
        sa.Column("digest_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_team_delivery")),
    )
    op.create_table(
        "team_delivery_members",
        sa.Column("team_id", Id, sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("monthly_capacity", sa.Integer(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_delivery_members")),
    )
    op.create_table(
        "lead_assignments",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        _id("lead_id", "leads", nullable=False, ondelete="CASCADE"),
        sa.Column("contact_id", Id, nullable=False),
        _id("team_id", "teams"),
        _id("user_id", "users"),
        sa.Column("policy", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _id("by_user_id", "users"),
        sa.Column("at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_assignments")),
    )
    op.create_index("ix_lead_assignments_lead", "lead_assignments", ["lead_id", "id"])
    op.create_index(
        "ix_lead_assignments_team_user_at", "lead_assignments", ["team_id", "user_id", "at"]
    )
    op.create_table(
        "mail_queue",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        _id("lead_id", "leads", nullable=False, ondelete="CASCADE"),
        sa.Column("contact_id", Id, nullable=False),
        _id("user_id", "users", nullable=False, ondelete="CASCADE"),
        _id("team_id", "teams"),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("due_at", UTC(), nullable=False),
        sa.Column("sent_at", UTC(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_queue")),
        sa.UniqueConstraint("lead_id", "user_id", name="uq_mail_queue_lead_user"),
    )
    op.create_index(
        "ix_mail_queue_due",
        "mail_queue",
        ["due_at"],
        unique=False,
        sqlite_where=sa.text("sent_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "mail_opt_outs",
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mail_opt_outs")),
    )


def downgrade() -> None:
    op.drop_index("ix_mail_queue_due", table_name="mail_queue")
    op.drop_table("mail_opt_outs")
    op.drop_table("mail_queue")
    op.drop_index("ix_lead_assignments_team_user_at", table_name="lead_assignments")
    op.drop_index("ix_lead_assignments_lead", table_name="lead_assignments")
    op.drop_table("lead_assignments")
    op.drop_table("team_delivery_members")
    op.drop_table("team_delivery")
