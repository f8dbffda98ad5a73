"""`leadstreams streams ...`: look at streams and act on them as an operator."""

from __future__ import annotations

import threading
import time

import click

from leadstreams.cli._common import (
    database_url_option,
    echo_json,
    echo_table,
    fail,
    open_context,
    progress_bar,
)
from leadstreams.schemas.jobs import JobRead
from leadstreams.services import fetch_history as fetching
from leadstreams.services import streams
from leadstreams.services.context import Context
from leadstreams.services.jobs import FINAL
from leadstreams.worker import default_worker_name, run_worker

POLL_SECONDS = 0.2
stream_id_argument = click.argument("stream_id", metavar="ID", type=int)


@click.group("streams")
@database_url_option
def streams_group() -> None:
    """Lead streams: list, show, activate, deactivate, fetch history, clear.

    \b
    Examples:
      leadstreams streams list
      leadstreams streams activate 2
      leadstreams streams fetch-history 2 --wait
      leadstreams streams deactivate 2 && leadstreams streams clear 2
    """


@streams_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@database_url_option
def list_streams(as_json: bool) -> None:
    """List the streams (archived ones left out) with their lead counts."""
    rows = [stream.model_dump() for stream in streams.list_streams(open_context())]
    if as_json:
        echo_json(rows)
        return
    columns = [("ID", "id"), ("NAME", "name"), ("ACTIVE", "active"), ("LEADS", "lead_count")]
    columns += [("TEAMS", "team_ids"), ("LAST MATCH", "last_matched_at")]
    columns += [("HISTORY FETCHED", "history_fetched_at")]
    echo_table(rows, columns)


@streams_group.command("show")
@stream_id_argument
@database_url_option
def show(stream_id: int) -> None:
    """Print stream ID as JSON, with its rules in plain English (`rules_text`).

    \b
    Example:
      leadstreams streams show 2
    """
    echo_json(streams.get_stream(open_context(), stream_id=stream_id).model_dump())


@streams_group.command("activate")
@stream_id_argument
@database_url_option
def activate(stream_id: int) -> None:
    """Start live matching: from now on every change its rules read is evaluated at once."""
    stream = streams.set_active(open_context(), stream_id=stream_id, active=True, user_id=None)
    click.echo(f"Stream {stream.id} {stream.name!r} is active.")


@streams_group.command("deactivate")
@stream_id_argument
@database_url_option
def deactivate(stream_id: int) -> None:
    """Stop live matching (and a running fetch-history job); leads stay on the board."""
    stream = streams.set_active(open_context(), stream_id=stream_id, active=False, user_id=None)
    click.echo(f"Stream {stream.id} {stream.name!r} is inactive.")


@streams_group.command("clear")
@stream_id_argument
@database_url_option
def clear(stream_id: int) -> None:
    """Clear every match of an inactive stream; leads left with none leave the board.

    Refused (exit status 1) while the stream is active.
    """
    cleared = fetching.clear_stream(open_context(), stream_id=stream_id, user_id=None)
    click.echo(f"Stream {stream_id}: {cleared} matches cleared.")


@streams_group.command("fetch-history")
@stream_id_argument
@click.option("--wait", is_flag=True, help="Run the job here and wait, showing its progress.")
@database_url_option
def fetch_history(stream_id: int, wait: bool) -> None:
    """Match every contact as it is now against active stream ID (a background job).

    Without --wait a worker runs the job (`leadstreams serve` has one, or run
    `leadstreams worker`). With --wait this command works the queue itself until the job
    ends; exit status 1 when it failed or was cancelled.

    \b
    Example:
      leadstreams streams fetch-history 2 --wait
    """
    ctx = open_context()
    job = fetching.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    if not wait:
        click.echo(f"Job {job.id} queued: fetch history for stream {stream_id}.")
        return
    job = _run_and_follow(ctx, job)
    click.echo(
        f"Job {job.id} {job.status}: {job.scanned} contacts scanned, "
        f"{job.matches_created} matches created."
    )
    if job.status != "done":
        fail([f"job {job.id} {job.status}" + (f": {job.error}" if job.error else "")])


def _run_and_follow(ctx: Context, job: JobRead) -> JobRead:
    """A worker thread works the queue while this one shows the job's progress; whoever
    claims the job (this worker or a server's), the bar follows the job's row."""
    stop = threading.Event()
    name = default_worker_name("cli")
    kwargs = {"ctx": ctx, "stop": stop, "worker_name": name}
    thread = threading.Thread(target=run_worker, kwargs=kwargs, daemon=True)
    thread.start()
    try:
        job = _follow(ctx, job)
    except KeyboardInterrupt:  # leave the thread: the job resumes from its last chunk
        click.echo("Stopped waiting; a worker will finish the job.", err=True)
        raise
    stop.set()
    thread.join()
    return job


def _follow(ctx: Context, job: JobRead) -> JobRead:
    bar = progress_bar(f"stream {job.stream_id}", job.total or None, unit="contacts")
    try:
        while job.status not in FINAL:
            time.sleep(POLL_SECONDS)
            job = fetching.get_job(ctx, job_id=job.id)
            bar.total = job.total
            bar.update(job.scanned - bar.n)
        return job
    finally:
        bar.close()
