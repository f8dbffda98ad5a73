"""`leadstreams scoring ...`: look at the score sets and install the default ones."""

from __future__ import annotations

import click

from leadstreams.cli._common import database_url_option, echo_json, echo_table, open_context
from leadstreams.services import scoring


@click.group("scoring")
@database_url_option
def scoring_group() -> None:
    """Lead scoring: list the score sets, show one, install the defaults.

    \b
    Examples:
      leadstreams scoring install-defaults
      leadstreams scoring list
      leadstreams scoring show 1
    """


@scoring_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@database_url_option
def list_sets(as_json: bool) -> None:
    """List the score sets with their number of rules."""
    found = scoring.list_sets(open_context())
    rows = [s.model_dump() | {"rule_count": len(s.rules)} for s in found]
    if as_json:
        echo_json(rows)
        return
    columns = [("ID", "id"), ("NAME", "name"), ("ACTIVE", "active"), ("RULES", "rule_count")]
    echo_table(rows, columns)


@scoring_group.command("show")
@click.argument("set_id", metavar="ID", type=int)
@database_url_option
def show(set_id: int) -> None:
    """Print score set ID as JSON, each rule's criteria in plain English (`criteria_text`)."""
    echo_json(scoring.get_set(open_context(), set_id=set_id).model_dump())


@scoring_group.command("install-defaults")
@database_url_option
def install_defaults() -> None:
    """Install the engagement and persona sets (inactive; each unless its name is taken)."""
    made = scoring.install_defaults(open_context(), user_id=None)
    for found in made:
        click.echo(f"Installed score set {found.id} {found.name!r} ({len(found.rules)} rules).")
    if not made:
        click.echo("The default score sets are installed already.")
