"""The schema, as SQLAlchemy Core tables: one definition for SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from leadstreams.store.types import Json, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT ids on PostgreSQL; SQLite needs INTEGER PRIMARY KEY for its fast rowid ids.
Id = BigInteger().with_variant(Integer(), "sqlite")

contacts = Table(
    "contacts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email", String(320), unique=True),
    Column("external_id", String(200), unique=True),
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("company", String(200)),
    Column("title", String(200)),
    Column("phone", String(50)),
    Column("country", String(2)),
    Column("city", String(200)),
    Column("category", String(20), nullable=False, server_default="prospect"),
    Column("lead_score", Integer, nullable=False, server_default="0"),
    Column("tags", Json, nullable=False, default=list),
    Column("custom", Json, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("contact_id", Id, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(100), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("properties", Json, nullable=False, default=dict),
    # Event conditions select by type and time window, then group by contact: index-only.
    Index("ix_events_type_occurred_contact", "type", "occurred_at", "contact_id"),
    Index("ix_events_contact_occurred", "contact_id", "occurred_at"),
)
