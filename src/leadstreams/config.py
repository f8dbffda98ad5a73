"""One validated settings object, read from the environment (and `.env`) at the edges."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./leadstreams.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADSTREAMS_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    # Unset: `leadstreams init` stores a random key in the database, shared by all processes.
    secret_key: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    webhook_allow_private: bool = False
    # A bearer token's life; a new password, role or disabling ends it sooner, as does
    # POST /api/v1/auth/revoke. Systems use API keys rather than long-lived tokens.
    token_ttl_seconds: int = Field(default=3600, ge=60)
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    fetch_history_chunk: int = Field(default=100_000, ge=1)  # contacts in the first chunk
    # About how long a fetch-history chunk's transaction takes: later chunks grow (or shrink,
    # not under fetch_history_chunk) by how long the last one took, the last one taking up
    # to half a chunk more along; 0 keeps every chunk at fetch_history_chunk.
    fetch_history_chunk_seconds: float = Field(default=1.0, ge=0)
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    # How often the worker sweeps the contacts whose score can change by time alone.
    score_sweep_seconds: float = Field(default=60.0, gt=0)
    feed_seconds: float = Field(default=300.0, gt=0)  # a live feed then ends; clients reconnect
    # POST /events: at most this many concurrent single events share a transaction
    event_batch_max: int = Field(default=500, ge=1)
    # How long a server process trusts what it read about a token's user; changes made in
    # the same process are seen at once, those of other processes within this time (0: a
    # lookup per request)
    principal_cache_seconds: float = Field(default=1.0, ge=0)
    # Wrong passwords allowed before a login answers 429 (per account, per client address),
    # in the `limits` package's notation; counted per server process.
    login_limit_per_account: str = "10 per 5 minutes"
    login_limit_per_address: str = "50 per 5 minutes"
    # When set, GET /metrics needs `Authorization: Bearer <this>` (a Prometheus scrape
    # config's bearer_token); unset, it is open (bind the server to a private address).
    metrics_token: SecretStr | None = None
    # Served over HTTPS (behind a TLS proxy): session cookies are Secure, and HSTS is sent.
    https: bool = False
    # E-mail to the team: smtp://user:password@host:port (smtps:// for TLS); unset: no e-mail
    smtp_url: SecretStr | None = None
    mail_from: str = "Leadstreams <leadstreams@localhost>"
    base_url: str = "http://127.0.0.1:8000"  # for links in e-mails
    # Webhooks (docs/delivery.md): requests in flight per worker process, each one's timeout,
    # how long a delivery is retried before it fails, how long a sender's claim on a delivery
    # lasts (a sender killed mid-send leaves it to another after this), and the idle pause.
    webhook_concurrency: int = Field(default=8, ge=1, le=256)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_give_up_seconds: float = Field(default=24 * 3600.0, gt=0)
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    webhook_poll_seconds: float = Field(default=0.2, gt=0)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not url.startswith(("sqlite://", "postgresql+psycopg://", "postgresql://")):
            raise ValueError("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return url.replace("postgresql://", "postgresql+psycopg://", 1)

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not url.get_secret_value().startswith(("smtp://", "smtps://")):
            raise ValueError("use smtp://user:password@host:port, or smtps:// for TLS")
        return url

    @field_validator("secret_key")
    @classmethod
    def _strong_secret(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and len(key.get_secret_value()) < 32:
            raise ValueError("the secret key needs at least 32 characters")
        return key

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
