"""Group commit for single events: what concurrent requests hand in is recorded together.

`POST /api/v1/events` hands its event to this process's `EventBatcher` and waits. One
background thread takes everything waiting (up to `max_items`) and records it with one call
of `ingest.record_many`: one transaction for all of them, in which each event is still
stored and evaluated atomically (rule 11: an item that fails leaves no trace, the others are
kept). Each request then gets its own outcome: its `Recorded`, or its `LeadstreamsError`.

Under load a batch forms by itself while the one before it is being recorded, so the cost of
a transaction (and on SQLite, waiting for its single write lock) is paid once per batch, not
once per event; a lone event is recorded at once.

A deadlock or serialization failure (PostgreSQL, several server processes whose batches
touch the same contacts) rolled the whole transaction back, so the batch is recorded again;
any other error is kept to the event at fault by recording the batch again in halves
(`ingest.record_apart`): the request of that event gets the error, the others their events.

The thread starts with the first event and ends after `idle_seconds` without work (or at
`close()`, which records what is waiting first); the next event starts it again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future

from leadstreams.schemas.events import EventCreate
from leadstreams.services import ingest
from leadstreams.services.context import Context
from leadstreams.services.ingest import Recorded

log = logging.getLogger(__name__)


class EventBatcher:
    def __init__(
        self,
        ctx: Context,
        *,
        max_items: int = 500,
        idle_seconds: float = 5.0,
        record: ingest.Record | None = None,
    ) -> None:
        """`record`: how a batch is recorded (`ingest.record_many`, looked up at each batch)."""
        self._ctx = ctx
        self._max_items = max_items
        self._idle_seconds = idle_seconds
        self._record = record
        self._lock = threading.Condition()
        self._waiting: list[tuple[EventCreate, Future[Recorded]]] = []
        self._thread: threading.Thread | None = None
        self._closing = False

    def submit(self, data: EventCreate) -> Future[Recorded]:
        """The event's outcome, once its batch is committed: a `Recorded`, or an exception
        (its `LeadstreamsError`, or the error that failed it when recorded alone)."""
        future: Future[Recorded] = Future()
        with self._lock:
            self._waiting.append((data, future))
            if self._thread is None:
                self._start()
            else:
                self._lock.notify()
        return future

    def submit_many(self, items: Sequence[EventCreate]) -> list[Future[Recorded]]:
        """`submit` for several events handed in together (a batch of a tracking client):
        they wait together, so they are recorded in one transaction (up to `max_items`),
        with whatever else is waiting."""
        futures: list[Future[Recorded]] = [Future() for _ in items]
        if not futures:
            return futures
        with self._lock:
            self._waiting += zip(items, futures, strict=True)
            if self._thread is None:
                self._start()
            else:
                self._lock.notify()
        return futures

    def _start(self) -> None:
        """A thread for the waiting events (called holding the lock)."""
        self._thread = threading.Thread(
            target=self._run, name="leadstreams-event-batcher", daemon=True
        )
        self._thread.start()

    def close(self, timeout: float = 60.0) -> None:
        """Record what is waiting, then stop the thread (a later `submit` starts it again)."""
        with self._lock:
            thread = self._thread
            self._closing = True
            self._lock.notify_all()
        try:
            if thread is not None:
                thread.join(timeout)
                if thread.is_alive():
                    log.warning("the event batcher did not finish within %s s", timeout)
        finally:
            with self._lock:
                self._closing = False

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def waiting(self) -> int:
        """Events handed in and not yet taken into a batch."""
        return len(self._waiting)

    def _run(self) -> None:
        try:
            self._serve()
        finally:  # normally the thread has let go already; not if something unforeseen broke it
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
                    if self._waiting:  # not left waiting for ever
                        self._start()

    def _serve(self) -> None:
        while True:
            with self._lock:
                if not self._waiting and not self._closing:
                    self._lock.wait(self._idle_seconds)
                if not self._waiting:  # idle for a while, or closing with nothing left
                    self._thread = None
                    return
                taken = self._waiting[: self._max_items]
                del self._waiting[: self._max_items]
            # A request whose waiting was cancelled is not recorded: nobody hears the outcome.
            batch = [(d, f) for d, f in taken if f.set_running_or_notify_cancel()]
            if batch:
                self._record_batch(batch)

    def _record_batch(self, batch: list[tuple[EventCreate, Future[Recorded]]]) -> None:
        try:
            record = self._record or ingest.record_many  # looked up now: tests stand in for it
            outcomes = ingest.record_apart(self._ctx, [data for data, _ in batch], record=record)
        except Exception as error:  # not expected: record_apart keeps faults to their items
            log.exception("recording a batch of %d events failed", len(batch))
            outcomes = [error] * len(batch)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
