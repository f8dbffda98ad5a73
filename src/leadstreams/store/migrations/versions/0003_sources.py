"""sources: API keys, anonymous visitors and their events

Revision ID: 0003
Revises: 0006
Create Date: 2026-12-03 11:09:04.490071
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadstreams.store.types

revision = "0003"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anonymous_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("anonymous_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", leadstreams.store.types.UTCDateTime(), nullable=False),
        sa.Column("received_at", leadstreams.store.types.UTCDateTime(), nullable=False),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anonymous_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_anonymous_events_event_id")),
    )
    with op.batch_alter_table("anonymous_events", schema=None) as batch_op:
        batch_op.create_index("ix_anonymous_events_received", ["received_at"], unique=False)
        batch_op.create_index("ix_anonymous_events_visitor", ["anonymous_id", "id"], unique=False)

    op.create_table(
        "anonymous_visitors",
        sa.Column("anonymous_id", sa.String(length=200), nullable=False),
        sa.Column(
            "contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("first_seen_at", leadstreams.store.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", leadstreams.store.types.UTCDateTime(), nullable=False),
        sa.Column("joined_at", leadstreams.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_anonymous_visitors_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("anonymous_id", name=op.f("pk_anonymous_visitors")),
    )
    with op.batch_alter_table("anonymous_visitors", schema=None) as batch_op:
        batch_op.create_index("ix_anonymous_visitors_last_seen", ["last_seen_at"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", leadstreams.store.types.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", leadstreams.store.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", leadstreams.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_api_keys_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    with op.batch_alter_table("anonymous_visitors", schema=None) as batch_op:
        batch_op.drop_index("ix_anonymous_visitors_last_seen")

    op.drop_table("anonymous_visitors")
    with op.batch_alter_table("anonymous_events", schema=None) as batch_op:
        batch_op.drop_index("ix_anonymous_events_visitor")
        batch_op.drop_index("ix_anonymous_events_received")

    op.drop_table("anonymous_events")
