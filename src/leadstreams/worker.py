"""The job worker: a loop around `services.jobs`, in the foreground or beside the server."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from leadstreams.services import jobs, mail, sources, webhook_sender
from leadstreams.services.context import Context
from leadstreams.services.score_sweep import Sweeper

log = logging.getLogger(__name__)

# On shutdown, how long to wait for the job in hand; an abandoned job keeps its committed
# progress and is taken over by the next worker once its heartbeat is stale.
JOIN_SECONDS = 10.0
SWEEP_SECONDS = 3600.0  # how often a worker drops anonymous visitors past their 30 days


def default_worker_name(role: str = "worker") -> str:
    """Unique per process: 'host:pid:role'."""
    return f"{socket.gethostname()}:{os.getpid()}:{role}"


def run_worker(ctx: Context, *, stop: threading.Event, worker_name: str) -> None:
    """Claim and run jobs until `stop` is set; sleep `worker_poll_seconds` when idle. Webhooks
    are sent meanwhile by a thread of their own (a slow receiver never delays a job)."""
    log.info("worker %s: started", worker_name)
    next_sweep = 0.0
    sweeper = Sweeper(ctx)  # expired score points, every score_sweep_seconds
    with webhook_sender.running(ctx, stop=stop, name=worker_name):
        while not stop.is_set():
            if time.monotonic() >= next_sweep:
                _forget_old_visitors(ctx, worker_name)
                next_sweep = time.monotonic() + SWEEP_SECONDS
            sweeper.tick()
            if not _step(ctx, worker_name, stop):
                stop.wait(ctx.settings.worker_poll_seconds)
    log.info("worker %s: stopped", worker_name)


def _forget_old_visitors(ctx: Context, name: str) -> None:
    """Anonymous visitors are kept 30 days (docs/sources.md); any worker may drop them."""
    try:
        events, visitors = sources.forget_old_visitors(ctx)
    except Exception:
        log.exception("worker %s: could not drop old anonymous visitors; trying later", name)
        return
    if events or visitors:
        log.info("worker %s: dropped %d anonymous events, %d visitors", name, events, visitors)


def _step(ctx: Context, name: str, stop: threading.Event) -> bool:
    """True when a job ran or mail went; a database hiccup is logged and retried after the
    idle pause."""
    try:
        ran = jobs.run_next(ctx, worker=name, should_stop=stop.is_set) is not None
    except Exception:
        log.exception("worker %s: could not claim or run a job; trying again", name)
        ran = False
    return _send_mail(ctx, name) or ran


def _send_mail(ctx: Context, name: str) -> bool:
    try:
        return mail.send_due(ctx) > 0
    except Exception:
        log.exception("worker %s: could not send the mail queue; trying again", name)
        return False


def run_pending_jobs(ctx: Context, *, name: str | None = None) -> int:
    """Claim and run jobs until none is waiting, in this thread; how many ran."""
    name = name or default_worker_name("once")
    ran = 0
    while jobs.run_next(ctx, worker=name) is not None:
        ran += 1
    return ran


@contextmanager
def in_background(ctx: Context, *, name: str) -> Iterator[threading.Thread]:
    """A worker thread for the duration of the block (the server's lifespan)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        kwargs={"ctx": ctx, "stop": stop, "worker_name": name},
        name="leadstreams-worker",
        daemon=True,
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(JOIN_SECONDS)
        if thread.is_alive():
            log.warning("worker %s: left a job running; another worker will resume it", name)
