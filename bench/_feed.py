"""The generated rows of a dataset, made in child processes while the loader writes them.

Generating the rows is pure Python and, at 5M contacts (55M rows), took longer than writing
them; contacts and events draw from random generators of their own (seeds `seed` and
`seed + 2`), so each can be made in a process of its own, in order, handed to the loader in
batches over a queue: the same rows in the same order, made on the other core while this one
writes. `Progress` prints how far a load is, as it goes.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable, Iterator
from multiprocessing.queues import Queue
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")
DEPTH = 8  # batches made ahead of the loader (each ~20 MB of rows at 50,000 rows)


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.text = f"{type(error).__name__}: {error}"


def _produce(make: Callable[[], Iterator[Any]], queue: Queue[Any]) -> None:
    try:
        for item in make():
            queue.put(item)
        queue.put(None)
    except BaseException as error:  # the loader must learn of it, not wait forever
        queue.put(_Failed(error))


def in_child(make: Callable[[], Iterator[T]], depth: int = DEPTH) -> Iterator[T]:
    """The items of `make()`, made in a forked child process ahead of this one's use.
    Started at once: call it before the items are needed, so that they are made meanwhile."""
    context = multiprocessing.get_context("fork")
    queue: Queue[Any] = context.Queue(depth)
    child = context.Process(target=_produce, args=(make, queue), daemon=True)
    child.start()
    return _received(child, queue)


def _received(child: Any, queue: Queue[Any]) -> Iterator[T]:
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, _Failed):
                raise RuntimeError(f"generating the benchmark's rows failed: {item.text}")
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


class Progress:
    """Rows loaded so far, their rate and what is left (a bar on a terminal, a line every
    half minute in a log); and each phase after the rows, with its time."""

    def __init__(self, what: str, rows: int) -> None:
        self.started = time.perf_counter()
        terminal = sys.stderr.isatty()
        self.bar = tqdm(total=rows, desc=f"  loading {what}", unit=" rows", unit_scale=True,
                        mininterval=1 if terminal else 30, file=sys.stderr,
                        dynamic_ncols=terminal)  # fmt: skip

    def rows(self, batches: Iterator[list[T]]) -> Iterator[list[T]]:
        for batch in batches:
            yield batch
            self.bar.update(len(batch))

    def phase(self, name: str) -> None:
        self.bar.refresh()
        print(f"  {name} ({time.perf_counter() - self.started:.0f}s in)", file=sys.stderr,
              flush=True)  # fmt: skip

    def close(self) -> None:
        self.bar.close()
