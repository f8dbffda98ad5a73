"""What every command shares: `--database-url`, the services' context, tables, progress bars."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn

import click
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from tqdm import tqdm  # type: ignore[import-untyped]

from leadstreams.bootstrap import bootstrap
from leadstreams.config import Settings
from leadstreams.errors import LeadstreamsError, error_path
from leadstreams.services.context import Context

_URL = "leadstreams.database_url"
_CONTEXT = "leadstreams.context"


def _remember_url(click_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """The URL given last wins (`leadstreams --database-url A streams list --database-url B`)."""
    if value:
        click_ctx.find_root().meta[_URL] = value


database_url_option = click.option(
    "--database-url",
    metavar="URL",
    expose_value=False,
    callback=_remember_url,
    help="The database, e.g. sqlite:///./leadstreams.db or "
    "postgresql+psycopg://user@host/leadstreams. Default: $LEADSTREAMS_DATABASE_URL, "
    "then .env, then sqlite:///./leadstreams.db.",
)


def settings() -> Settings:
    """Settings from the environment and `.env`, with `--database-url` over them."""
    url = click.get_current_context().find_root().meta.get(_URL)
    return Settings(database_url=url) if url else Settings()


def open_context() -> Context:
    """The services' context, built once per command run; its engine closes with the run."""
    root = click.get_current_context().find_root()
    ctx: Context | None = root.meta.get(_CONTEXT)
    if ctx is None:
        ctx = bootstrap(settings())
        root.meta[_CONTEXT] = ctx
        root.call_on_close(ctx.database.dispose)
    return ctx


def shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=_json_value))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def echo_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    """Aligned columns, headers first: `columns` is (header, key) pairs."""
    lines = [[header for header, _ in columns]]
    lines += [[cell(row.get(key)) for _, key in columns] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    for line in lines:
        click.echo(
            "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        )


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value) or "-"
    return str(value)


def progress_bar(description: str, total: int | None, unit: str = "it") -> Any:
    """A tqdm bar on stderr, shown only on a terminal (a log file gets no bar)."""
    return tqdm(desc=description, total=total, unit=unit, unit_scale=True, disable=None)


def problems(error: Exception) -> list[str]:
    """One line per problem: 'path: message' when the error says where."""
    if isinstance(error, LeadstreamsError):
        return [f"{d.path}: {d.message}" for d in error.details] or [error.message]
    if isinstance(error, ValidationError):
        return [_validation_line(item["loc"], item["msg"]) for item in error.errors()]
    if isinstance(error, OperationalError):
        return [f"database: {str(error.orig).strip().splitlines()[0]}"]
    return [str(error)]


def _validation_line(location: tuple[Any, ...], message: str) -> str:
    path = error_path(location)
    return f"{path}: {message}" if path else message


def fail(lines: list[str]) -> NoReturn:
    """Each line on stderr as 'error: ...', then exit status 1."""
    for line in lines:
        click.echo(f"error: {line}", err=True)
    raise click.exceptions.Exit(1)
