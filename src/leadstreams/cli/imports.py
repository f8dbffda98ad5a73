"""`leadstreams import contacts|events FILE`: bulk loads that report bad lines and keep the rest."""

from __future__ import annotations

from pathlib import Path

import click

from leadstreams import importing
from leadstreams.cli._common import database_url_option, open_context, progress_bar

file_argument = click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
)


def _one_character(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if len(value) != 1:
        raise click.BadParameter("give one character, e.g. ';'")
    return value


@click.group("import")
@database_url_option
def import_group() -> None:
    """Bulk loads with a progress bar and a summary of rejected lines.

    A bad line never loses the good ones. Exit status: 0 when every line was accepted,
    1 when some were rejected (each is listed on stderr with its line number).

    \b
    Examples:
      leadstreams import contacts contacts.csv
      leadstreams import events events.jsonl
    """


@import_group.command("contacts")
@file_argument
@click.option(
    "--delimiter",
    default=",",
    show_default=True,
    callback=_one_character,
    help="The CSV cell separator, e.g. ';'.",
)
@database_url_option
def import_contacts(file: Path, delimiter: str) -> None:
    """Create or update contacts from a CSV FILE (UTF-8, header line first).

    Columns are contact fields: email, external_id, first_name, last_name, company, title,
    phone, country, city, category, lead_score, tags (separated by ';'), and custom fields as
    fields.NAME. A row updates the contact with its email (else its external_id) or creates
    one. An empty cell leaves the value as it is. Exit status 1 when a line was rejected.

    \b
    Example:
      leadstreams import contacts crm-export.csv
    with crm-export.csv like:
      email,first_name,country,lead_score,tags,fields.industry
      anna@example.se,Anna,SE,60,vip;newsletter,Software
    """
    ctx = open_context()
    bar = progress_bar(file.name, max(_count_lines(file) - 1, 0), unit="lines")
    with file.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as source:
        try:
            report = importing.import_contacts(
                ctx, source, progress=bar.update, delimiter=delimiter
            )
        finally:
            bar.close()
    _summary(file, report, kinds=("created", "updated", "unchanged"))


@import_group.command("events")
@file_argument
@database_url_option
def import_events(file: Path) -> None:
    """Record events from a JSON-lines FILE: one event object per line, as the API takes.

    Each object has "type", "email" or "contact_id", and optionally "event_id" (a retry
    with the same id changes nothing), "occurred_at" and "properties". An unknown email
    creates the contact. Blank lines are skipped. Exit status 1 when a line was rejected.

    \b
    Example:
      leadstreams import events events.jsonl
    with lines in events.jsonl like:
      {"email": "anna@example.se", "type": "form_submitted", "properties": {"form": "Contact us"}}
    """
    ctx = open_context()
    bar = progress_bar(file.name, _count_lines(file), unit="lines")
    with file.open(encoding="utf-8-sig", errors="surrogateescape") as source:
        try:
            report = importing.import_events(ctx, source, progress=bar.update)
        finally:
            bar.close()
    _summary(file, report, kinds=("created", "duplicate"))


def _count_lines(file: Path) -> int:
    with file.open("rb") as raw:
        return sum(1 for _ in raw)


def _summary(file: Path, report: importing.ImportReport, *, kinds: tuple[str, ...]) -> None:
    counts = ", ".join(f"{report.counts[kind]} {kind}" for kind in kinds)
    rejected = len(report.rejected)
    click.echo(f"{file.name}: {report.accepted} accepted ({counts}), {rejected} rejected.")
    for line in report.rejected:
        for problem in line.problems:
            click.echo(f"line {line.line}: {problem}", err=True)
    if report.rejected:
        raise click.exceptions.Exit(1)
