"""`leadstreams demo`: a demo database, then the server."""

from __future__ import annotations

import click

from leadstreams import demo as demo_data
from leadstreams.bootstrap import init_database
from leadstreams.cli._common import database_url_option, echo_table, open_context, progress_bar
from leadstreams.cli.serve import run_server
from leadstreams.services import users
from leadstreams.services.context import Context


@click.command()
@click.option(
    "--contacts",
    "contact_count",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="How many contacts to make (about 9 events each).",
)
@click.option("--seed", default=1, show_default=True, help="The same seed makes the same data.")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to serve on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The port."
)
@click.option("--no-serve", is_flag=True, help="Make the data, print the accounts, and stop.")
@database_url_option
def demo(contact_count: int, seed: int, host: str, port: int, no_serve: bool) -> None:
    """Make a demo database and serve it.

    On an empty database: three sales teams, an admin, a marketing user and sales users,
    contacts with companies and countries (most of them Nordic), a year of page visits,
    e-mail opens and clicks and form submissions, and four streams, three of them active
    with their leads fetched from history. A database with data in it is left as it is.
    Prints where to log in and with which accounts. The passwords follow from the seed:
    keep a demo server to your own machine (the default --host).

    \b
    Examples:
      leadstreams demo
      leadstreams demo --contacts 500 --no-serve --database-url sqlite:///./demo.db
    """
    ctx = open_context()
    init_database(ctx)
    if demo_data.is_empty(ctx):
        click.echo(f"Making demo data (seed {seed}, {contact_count} contacts); it takes a while.")
        summary = demo_data.build(ctx, contacts_wanted=contact_count, seed=seed, bar=progress_bar)
        _print_summary(summary)
    else:
        click.echo("The database has data already: left as it is.")
    _print_accounts(ctx, seed, host, port)
    if not no_serve:
        ctx.database.dispose()
        run_server(ctx.settings, host=host, port=port, workers=1, worker=True)


def _print_summary(summary: demo_data.DemoSummary) -> None:
    click.echo(f"Made {summary.contacts} contacts and {summary.events} events.")
    columns = [("ID", "id"), ("STREAM", "name"), ("ACTIVE", "active"), ("LEADS", "lead_count")]
    echo_table(summary.streams, columns)


def _print_accounts(ctx: Context, seed: int, host: str, port: int) -> None:
    emails = {user.email for user in users.list_users(ctx)}
    accounts = [a for a in demo_data.accounts(seed) if a.email in emails]
    if not accounts:
        click.echo(f"No demo accounts for seed {seed} in this database.")
        return
    click.echo(f"\nLog in at http://{host}:{port}/ (API documentation: /docs) as:")
    rows = [
        {"email": a.email, "password": a.password, "role": a.role, "teams": a.teams}
        for a in accounts
    ]
    columns = [("EMAIL", "email"), ("PASSWORD", "password"), ("ROLE", "role"), ("TEAMS", "teams")]
    echo_table(rows, columns)
