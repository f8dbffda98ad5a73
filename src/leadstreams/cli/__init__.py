"""The `leadstreams` command for operators: thin commands that call the services.

Service errors become one line per problem on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

from typing import Any

import click
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from leadstreams import __version__
from leadstreams.cli import api_keys, demo, imports, scoring, serve, setup, streams
from leadstreams.cli._common import database_url_option, fail, problems
from leadstreams.errors import LeadstreamsError


class LeadstreamsGroup(click.Group):
    """Reports user errors from any subcommand as lines on stderr, with exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (LeadstreamsError, ValidationError, OperationalError, UnicodeDecodeError) as error:
            fail(problems(error))


@click.group(
    cls=LeadstreamsGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@database_url_option
@click.version_option(__version__, prog_name="leadstreams")
def cli() -> None:
    """Leadstreams turns marketing contacts into sales leads by rules, continuously.

    Settings come from the environment (LEADSTREAMS_DATABASE_URL, LEADSTREAMS_SECRET_KEY,
    LEADSTREAMS_LOG_LEVEL, ...) and a .env file; --database-url on any command overrides
    the database.

    \b
    Examples:
      leadstreams init --admin-email admin@example.com --admin-password 'correct horse'
      leadstreams serve --port 8000
      leadstreams demo --contacts 2000
      leadstreams import contacts contacts.csv
      leadstreams streams list
      leadstreams api-keys create --name 'Website backend' --scope ingest
    """


cli.add_command(setup.init)
cli.add_command(serve.serve)
cli.add_command(serve.worker)
cli.add_command(demo.demo)
cli.add_command(imports.import_group)
cli.add_command(streams.streams_group)
cli.add_command(scoring.scoring_group)
cli.add_command(setup.users_group)
cli.add_command(setup.teams_group)
cli.add_command(api_keys.api_keys_group)


def main() -> None:
    cli(prog_name="leadstreams")
