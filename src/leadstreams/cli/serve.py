"""`leadstreams serve` and `leadstreams worker`, and the app factories uvicorn imports.

uvicorn builds the app in each server process by calling a factory named by an import
string; the factories read `Settings()` from the environment, so `serve` hands its database
URL to them (and to child processes) in LEADSTREAMS_DATABASE_URL.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

import click
import uvicorn
from fastapi import FastAPI

from leadstreams.bootstrap import bootstrap, init_database
from leadstreams.cli._common import database_url_option, open_context, shown_url
from leadstreams.config import Settings
from leadstreams.main import create_app
from leadstreams.worker import default_worker_name, in_background, run_worker

log = logging.getLogger(__name__)
DATABASE_URL_ENV = "LEADSTREAMS_DATABASE_URL"


# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms).
# The event batcher records events in long stretches of Python; the event loop, which reads
# requests and sends answers, should not wait that long each time it needs the GIL.
SWITCH_INTERVAL = 0.001


def _serving(app: FastAPI) -> FastAPI:
    """Tune this server process, once its app is built.

    The objects that live as long as the process (modules, the app, SQLAlchemy's tables) are
    moved out of the garbage collector's sight: a full collection went through all of them,
    and stopped every request for ~150 ms about every 10 s at 500 events/s (~25 ms now).
    """
    sys.setswitchinterval(SWITCH_INTERVAL)
    gc.collect()
    gc.freeze()
    return app


def app_from_environment() -> FastAPI:
    """The app alone, configured by the environment (uvicorn factory)."""
    return _serving(create_app(Settings()))


def app_with_worker_from_environment() -> FastAPI:
    """The app with a job worker thread that lives as long as the server (uvicorn factory)."""
    settings = Settings()
    ctx = bootstrap(settings)
    app = create_app(settings, ctx=ctx)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        with in_background(ctx, name=default_worker_name("server")):
            async with inner(app) as state:
                yield state

    app.router.lifespan_context = lifespan
    return _serving(app)


def run_server(settings: Settings, *, host: str, port: int, workers: int, worker: bool) -> None:
    os.environ[DATABASE_URL_ENV] = settings.database_url
    factory = "app_with_worker_from_environment" if worker else "app_from_environment"
    click.echo(f"Serving {shown_url(settings.database_url)} on http://{host}:{port}/")
    uvicorn.run(
        f"{__name__}:{factory}",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The port."
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (PostgreSQL recommended for more than one).",
)
@click.option("--no-worker", is_flag=True, help="Run no job worker in the server processes.")
@database_url_option
def serve(host: str, port: int, workers: int, no_worker: bool) -> None:
    """Serve the web app and the API (at /api/v1, documented at /docs).

    Creates or upgrades the database first. Each server process also runs a job worker
    thread (fetch history) unless --no-worker; then run `leadstreams worker` somewhere.

    \b
    Examples:
      leadstreams serve
      leadstreams serve --host 0.0.0.0 --port 8080 --workers 4 \\
          --database-url postgresql+psycopg://leadstreams@db/leadstreams
    """
    ctx = open_context()
    init_database(ctx)
    ctx.database.dispose()
    run_server(ctx.settings, host=host, port=port, workers=workers, worker=not no_worker)


@click.command()
@click.option("--name", help="This worker's name in the jobs table (default: host:pid:worker).")
@database_url_option
def worker(name: str | None) -> None:
    """Run background jobs (fetch history), send webhooks and team e-mail, in the foreground
    until Ctrl-C or SIGTERM.

    A stop request lets the job in hand finish; a second Ctrl-C leaves at once, and the job
    is resumed from its last committed chunk by a worker a minute later. Several workers
    may share a database: each job runs once.

    \b
    Example:
      LEADSTREAMS_DATABASE_URL=postgresql+psycopg://leadstreams@db/leadstreams \\
          leadstreams worker
    """
    ctx = open_context()
    stop = threading.Event()
    _stop_on_signals(stop)
    run_worker(ctx, stop=stop, worker_name=name or default_worker_name())


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        log.info("stopping after the job in hand (Ctrl-C again to leave now)")
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
