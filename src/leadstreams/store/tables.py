"""The schema, as SQLAlchemy Core tables: one definition for SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
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
    # Live evaluation reads one contact's events of the types a stream reads.
    Index("ix_events_contact_type_occurred", "contact_id", "type", "occurred_at"),
    # The timeline: one contact's events newest first by when they happened, paged by keyset.
    Index("ix_events_contact_occurred", "contact_id", "occurred_at", "id"),
)


def _partial(name: str, table_columns: list[str], where: str, *, unique: bool = True) -> Index:
    """A partial index, the same on both databases (both support WHERE on indexes)."""
    return Index(
        name,
        *table_columns,
        unique=unique,
        sqlite_where=text(where),
        postgresql_where=text(where),
    )


app_state = Table(
    "app_state",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

field_definitions = Table(
    "field_definitions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(63), nullable=False, unique=True),
    Column("label", String(200), nullable=False),
    Column("type", String(20), nullable=False),
    Column("values", Json, nullable=False, default=list),
    Column("created_at", UTCDateTime, nullable=False),
)

event_types = Table(
    "event_types",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("first_seen_at", UTCDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # One more on every change that must end the user's tokens and sessions (a new password,
    # another role, disabled): a token or session made under another number is refused.
    Column("credentials_version", Integer, nullable=False, server_default="1"),
)

# Tokens revoked and web sessions logged out before their time (by their random id), kept
# until they would have expired anyway.
ended_credentials = Table(
    "ended_credentials",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_ended_credentials_expires_at", "expires_at"),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False, unique=True),  # lower-cased name
    Column("created_at", UTCDateTime, nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", Id, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_team_members_user", "user_id"),
)

streams = Table(
    "streams",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),  # lower-cased: names are unique that way
    Column("description", Text, nullable=False, default=""),
    Column("rules", Json, nullable=False),
    Column("requalify_after_days", Integer),
    Column("active", Boolean, nullable=False, default=False),
    Column("activated_at", UTCDateTime),
    Column("history_fetched_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime),  # archived; leads stay on the board
    Column("version", Integer, nullable=False, default=1),
    _partial("uq_streams_name_key_live", ["name_key"], "deleted_at IS NULL"),
)

stream_teams = Table(
    "stream_teams",
    metadata,
    Column("stream_id", Id, ForeignKey("streams.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", Id, ForeignKey("teams.id"), primary_key=True),
    Index("ix_stream_teams_team", "team_id"),
)

stream_history = Table(
    "stream_history",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("stream_id", Id, ForeignKey("streams.id", ondelete="CASCADE"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("action", String(40), nullable=False),
    Column("changes", Json, nullable=False, default=dict),
    Index("ix_stream_history_stream", "stream_id", "id"),
)

leads = Table(
    "leads",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("contact_id", Id, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("assignee_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),  # won or lost
    Column("cleared_at", UTCDateTime),  # no uncleared match left: off the board, archived
    Column("lost_reason", String(1000)),  # why it was lost; kept while it stays lost
    # One open lead per contact (product spec, rule 4), whoever races to make it.
    _partial("uq_leads_open_contact", ["contact_id"], "closed_at IS NULL AND cleared_at IS NULL"),
    Index("ix_leads_contact", "contact_id"),
    Index("ix_leads_created", "created_at", "id"),
    # A board column (and the API filtered by stage) pages one stage newest first.
    Index("ix_leads_stage_created", "stage", "created_at", "id"),
)

matches = Table(
    "matches",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("lead_id", Id, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
    Column("stream_id", Id, ForeignKey("streams.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", Id, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    Column("matched_at", UTCDateTime, nullable=False),
    Column("origin", String(10), nullable=False),  # live | history
    Column("trigger", Json, nullable=False, default=dict),
    Column("explanation", Json),
    Column("cleared_at", UTCDateTime),
    Column("superseded_at", UTCDateTime),  # replaced by a requalified match (rule 3)
    # At most one current match per stream and contact (rule 3), whoever races to make it.
    _partial(
        "uq_matches_current",
        ["stream_id", "contact_id"],
        "cleared_at IS NULL AND superseded_at IS NULL",
    ),
    Index("ix_matches_lead", "lead_id"),
    Index("ix_matches_contact", "contact_id"),
    # The leads per stream (the boards' streams boxes) counted from the index alone, in order.
    _partial(
        "ix_matches_stream_lead", ["stream_id", "lead_id"], "cleared_at IS NULL", unique=False
    ),
)

lead_stage_changes = Table(
    "lead_stage_changes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("lead_id", Id, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
    Column("from_stage", String(20)),
    Column("to_stage", String(20), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("at", UTCDateTime, nullable=False),
    Column("lost_reason", String(1000)),  # with a move to lost
    Index("ix_lead_stage_changes_lead", "lead_id", "id"),
)

# The reasons the board offers when a lead is moved to Lost (admins keep the list); a lead
# keeps the words of its reason, so removing one from the list changes no lead's history.
lost_reasons = Table(
    "lost_reasons",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("label", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

lead_notes = Table(
    "lead_notes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("lead_id", Id, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_lead_notes_lead", "lead_id", "id"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("stream_id", Id, ForeignKey("streams.id", ondelete="CASCADE")),
    Column("status", String(20), nullable=False),  # queued running done failed cancelled
    Column("params", Json, nullable=False, default=dict),
    Column("cursor", BigInteger, nullable=False, default=0),  # last contact id done
    Column("scanned", BigInteger, nullable=False, default=0),
    Column("total", BigInteger, nullable=False, default=0),
    Column("matches_created", BigInteger, nullable=False, default=0),
    Column("error", Text),
    Column("worker", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("heartbeat_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Index("ix_jobs_status", "status", "id"),
    # At most one fetch-history job runs per stream at a time (rule 6).
    _partial(
        "uq_jobs_one_live_per_stream",
        ["kind", "stream_id"],
        "status IN ('queued', 'running')",
    ),
)

# Side effects leave through here after commit: live board updates now, webhooks later.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("topic", String(60), nullable=False),  # lead.created, lead.matched, ...
    Column("lead_id", Id),
    Column("payload", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # When the webhook fan-out took the row (None: not yet), in the transaction that wrote its
    # deliveries. New rows are found as those without it, never as "ids above the last seen":
    # on PostgreSQL a lower id can commit after a higher one was read.
    Column("fanned_out_at", UTCDateTime),
    # The exact bytes its deliveries sign and send, every attempt, to every subscription that
    # took the row (None: nobody did); kept once, not once per delivery.
    Column("webhook_body", Text),
    # The fan-out's queue: only the rows not yet taken, so that finding them costs the backlog,
    # not every row of the window (a scan of a day's outbox at every poll).
    _partial("ix_outbox_unannounced", ["created_at", "id"], "fanned_out_at IS NULL", unique=False),
)

# Delivery to people (product spec, section 4a): a team's assignment policy and e-mail mode.
team_delivery = Table(
    "team_delivery",
    metadata,
    Column("team_id", Id, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("policy", String(20), nullable=False, default="manual"),  # manual round_robin weighted
    Column("fallback_user_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("notify_mode", String(20), nullable=False, default="off"),  # off immediate digest
    Column("digest_minutes", Integer, nullable=False, default=60),
    Column("updated_at", UTCDateTime, nullable=False),
)

team_delivery_members = Table(
    "team_delivery_members",
    metadata,
    Column("team_id", Id, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("weight", Integer, nullable=False, default=1),
    Column("monthly_capacity", Integer),  # None: no limit
    Column("paused", Boolean, nullable=False, default=False),
    # How far behind their share the member is (smooth weighted round robin): kept across
    # leads, so weights hold over the long run and not only within a cycle.
    Column("credit", BigInteger, nullable=False, default=0),
)

# Every assignment of a lead, automatic or by hand: who or which policy, and why.
lead_assignments = Table(
    "lead_assignments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("lead_id", Id, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", Id, nullable=False),
    Column("team_id", Id, ForeignKey("teams.id", ondelete="SET NULL")),
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL")),  # None: unassigned
    Column("policy", String(20), nullable=False),  # round_robin weighted fallback none hand
    Column("reason", Text, nullable=False),
    Column("by_user_id", Id, ForeignKey("users.id", ondelete="SET NULL")),  # a hand assignment
    Column("at", UTCDateTime, nullable=False),
    Index("ix_lead_assignments_lead", "lead_id", "id"),
    # Monthly capacity counts a member's assignments by the team since the month began.
    Index("ix_lead_assignments_team_user_at", "team_id", "user_id", "at"),
)

# A transactional outbox of mail: written with the lead's delivery, sent by the worker.
mail_queue = Table(
    "mail_queue",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("lead_id", Id, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", Id, nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("team_id", Id, ForeignKey("teams.id", ondelete="SET NULL")),
    Column("kind", String(20), nullable=False),  # immediate | digest
    Column("due_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("lead_id", "user_id", name="uq_mail_queue_lead_user"),  # never twice
    _partial("ix_mail_queue_due", ["due_at"], "sent_at IS NULL", unique=False),
)

mail_opt_outs = Table(
    "mail_opt_outs",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

# Keys for systems (api.md "Authentication"): only a keyed hash of the key is kept.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(20), nullable=False),  # how it is listed: lsk_ and 8 characters
    Column("key_hash", String(64), nullable=False, unique=True),  # HMAC-SHA256, hex
    Column("scopes", Json, nullable=False, default=list),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),  # written at most once a minute
    Column("revoked_at", UTCDateTime),
)

# Visitors known only by a tracking client's anonymousId; joined to a contact by identify.
anonymous_visitors = Table(
    "anonymous_visitors",
    metadata,
    Column("anonymous_id", String(200), primary_key=True),
    Column("contact_id", Id, ForeignKey("contacts.id", ondelete="CASCADE")),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),  # kept 30 days after this
    Column("joined_at", UTCDateTime),
    Index("ix_anonymous_visitors_last_seen", "last_seen_at"),
)

# Their events until they join (then recorded as the contact's events, same event_id).
anonymous_events = Table(
    "anonymous_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("anonymous_id", String(200), nullable=False),
    Column("type", String(100), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("properties", Json, nullable=False, default=dict),
    Index("ix_anonymous_events_visitor", "anonymous_id", "id"),
    Index("ix_anonymous_events_received", "received_at"),
)

# --- lead scoring (product spec, section 4) ---------------------------------------------------

score_sets = Table(
    "score_sets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False, unique=True),  # lower-cased name
    Column("description", Text, nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False, default=1),
)

score_rules = Table(
    "score_rules",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("score_set_id", Id, ForeignKey("score_sets.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("criteria", Json, nullable=False),
    Column("points", Integer, nullable=False),
    Index("ix_score_rules_set", "score_set_id", "position"),
)

score_adjustments = Table(
    "score_adjustments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("contact_id", Id, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    Column("points", Integer, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("expires_at", UTCDateTime),
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_score_adjustments_contact", "contact_id"),
)

# Per contact: the score rules giving points now (for the history's "started / stopped") and
# when its score can next change by time alone (the sweep reads only the contacts due).
contact_scores = Table(
    "contact_scores",
    metadata,
    Column("contact_id", Id, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("holding", Json, nullable=False, default=list),  # score rule ids
    Column("changes_at", UTCDateTime),
    Index("ix_contact_scores_changes_at", "changes_at"),
)

score_history = Table(
    "score_history",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("contact_id", Id, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("value", Integer, nullable=False),
    Column("reason", Json, nullable=False, default=dict),
    Index("ix_score_history_contact", "contact_id", "id"),
)

# Webhooks (product spec rule 10, api.md): subscriptions, which outbox rows were fanned out
# to them, one delivery per row and matching subscription, and each delivery's attempts.
webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("events", Json, nullable=False),  # topics, e.g. ["lead.created"]
    Column("team_id", Id, ForeignKey("teams.id", ondelete="CASCADE")),  # only its leads
    Column("active", Boolean, nullable=False),  # false: paused (or disabled by a 410)
    Column("disabled_reason", Text),  # why the sender paused it, when it did
    # Kept as given: the sender needs the secret itself to sign (a hash would not do).
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),  # still signs until previous_secret_until (rotation)
    Column("previous_secret_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        Id,
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("outbox_id", Id, nullable=False),
    Column("message_id", String(60), nullable=False, unique=True),  # webhook-id: every attempt
    Column("topic", String(60), nullable=False),
    Column("lead_id", Id),
    Column("contact_id", Id),
    Column("status", String(20), nullable=False),  # pending delivered failed
    Column("attempt_count", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),  # pending only
    Column("gives_up_at", UTCDateTime, nullable=False),
    # A sender's claim: others leave the delivery alone until the lease ends (a sender that
    # died mid-send leaves it to be claimed again).
    Column("lease_owner", String(60)),
    Column("lease_until", UTCDateTime),
    Column("last_status_code", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    UniqueConstraint("subscription_id", "outbox_id", name="uq_webhook_deliveries_once"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        Id,
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
    Column("answer", Text),  # the answer's first 1 KB
    Index("ix_webhook_attempts_delivery", "delivery_id", "id"),
)
