"""Holding the event batcher's first batch, so that a test decides which events are recorded
together, whatever the speed of the machine."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from leadstreams.errors import LeadstreamsError
from leadstreams.schemas.events import EventCreate
from leadstreams.services import ingest
from leadstreams.services.batcher import EventBatcher
from leadstreams.services.context import Context
from leadstreams.services.ingest import Recorded

PATIENCE = 60  # seconds: only a broken implementation waits this long


class HeldRecorder:
    """Stands in for `ingest.record_many`: holds the first batch until `release` is set,
    writes down the size of every batch, and makes the batches in `failures` (by number,
    from 0), and every batch holding an event of the e-mail `poison`, raise their exception."""

    def __init__(
        self, failures: dict[int, BaseException] | None = None, *, poison: str | None = None
    ) -> None:
        self.poison = poison
        self.sizes: list[int] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.failures = dict(failures or {})
        self._record = ingest.record_many  # the real one, also once this stands in for it
        self.batcher: EventBatcher | None = None  # the batcher it records for, once known

    def __call__(
        self, ctx: Context, items: Sequence[EventCreate]
    ) -> list[Recorded | LeadstreamsError]:
        number = len(self.sizes)
        self.sizes.append(len(items))
        if number == 0:
            self.entered.set()
            assert self.release.wait(PATIENCE)
        if number in self.failures:
            raise self.failures[number]
        if self.poison is not None and any(item.email == self.poison for item in items):
            raise RuntimeError(f"cannot store {self.poison}")
        return self._record(ctx, items)

    def wait_until_waiting(self, count: int) -> None:
        assert self.batcher is not None, "set the batcher first"
        wait_until_waiting(self.batcher, count)


def wait_until_waiting(batcher: EventBatcher, count: int) -> None:
    for _ in range(PATIENCE * 100):
        if batcher.waiting >= count:
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"{batcher.waiting} events waiting, not {count}")
