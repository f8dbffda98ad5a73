"""`leadstreams api-keys create | list | revoke` against real databases."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from leadstreams.cli import cli
from leadstreams.services import api_keys
from leadstreams.services.api_keys import KeyHasher, KeyPrincipals
from leadstreams.services.context import Context


def run(ctx: Context, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database-url", ctx.settings.database_url, *args])


def test_an_operator_creates_lists_and_revokes_a_key(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "k" * 40  # the server's, which the key is hashed with
    monkeypatch.setenv("LEADSTREAMS_SECRET_KEY", secret)
    made = run(ctx, "api-keys", "create", "--name", "Website backend", "--scope", "ingest")
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("lsk_")
    principals = KeyPrincipals(ctx, KeyHasher(secret), seconds=0)
    assert principals.lookup(key).scopes == {"ingest"}
    listed = run(ctx, "api-keys", "list")
    assert "Website backend" in listed.output and key[:12] in listed.output
    assert key not in listed.output
    (stored,) = api_keys.list_keys(ctx)
    revoked = run(ctx, "api-keys", "revoke", str(stored.id))
    assert revoked.exit_code == 0, revoked.output
    assert api_keys.list_keys(ctx)[0].revoked_at is not None


def test_an_unknown_scope_is_refused_with_the_choices(ctx: Context) -> None:
    refused = run(ctx, "api-keys", "create", "--name", "ETL", "--scope", "write")
    assert refused.exit_code == 2
    assert "ingest" in refused.output and api_keys.list_keys(ctx) == []
