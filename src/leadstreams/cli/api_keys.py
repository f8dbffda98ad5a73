"""`leadstreams api-keys`: keys for systems (a website backend, an ETL job)."""

from __future__ import annotations

import click

from leadstreams.bootstrap import secret_key
from leadstreams.cli._common import database_url_option, echo_table, open_context
from leadstreams.domain.scopes import Scope
from leadstreams.schemas.api_keys import ApiKeyCreate
from leadstreams.services import api_keys
from leadstreams.services.api_keys import KeyHasher


@click.group("api-keys")
@database_url_option
def api_keys_group() -> None:
    """API keys for systems, used as 'Authorization: Bearer <key>' or as the write key of a
    Segment or RudderStack client.

    \b
    Examples:
      leadstreams api-keys create --name 'Website backend' --scope ingest
      leadstreams api-keys list
      leadstreams api-keys revoke 3
    """


@api_keys_group.command("create")
@click.option("--name", required=True, help="What the key is for, e.g. 'Website backend'.")
@click.option(
    "--scope",
    "scopes",
    required=True,
    multiple=True,
    type=click.Choice([str(scope) for scope in Scope]),
    help="ingest (contacts and events in) or read (leads, contacts, streams); repeatable.",
)
@database_url_option
def create_key(name: str, scopes: tuple[str, ...]) -> None:
    """Create a key and print it in full: this is the only time it is shown.

    \b
    Example:
      leadstreams api-keys create --name 'Tag manager' --scope ingest
    """
    ctx = open_context()
    data = ApiKeyCreate.model_validate({"name": name, "scopes": list(scopes)})
    made = api_keys.create_key(ctx, hasher=KeyHasher(secret_key(ctx)), data=data, created_by=None)
    click.echo(f"Created API key {made.id}: {made.name} ({', '.join(made.scopes)}).")
    click.echo("Keep it now; it is not shown again:")
    click.echo(made.key)


@api_keys_group.command("list")
@database_url_option
def list_keys() -> None:
    """List the keys by prefix, with when each was last used and revoked."""
    columns = [("ID", "id"), ("NAME", "name"), ("PREFIX", "prefix"), ("SCOPES", "scopes")]
    columns += [("LAST USED", "last_used_at"), ("REVOKED", "revoked_at")]
    echo_table([key.model_dump() for key in api_keys.list_keys(open_context())], columns)


@api_keys_group.command("revoke")
@click.argument("key_id", type=int)
@database_url_option
def revoke_key(key_id: int) -> None:
    """Revoke key KEY_ID: it is refused from then on."""
    revoked = api_keys.revoke_key(open_context(), key_id=key_id)
    click.echo(f"Revoked API key {revoked.id}: {revoked.name} ({revoked.prefix}…).")
