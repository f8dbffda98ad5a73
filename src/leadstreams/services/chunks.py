"""How fetch history cuts the contacts into chunks and counts its progress: pure, no database.

A chunk is sized for its transaction to take about `fetch_history_chunk_seconds`, from how
long the one before took; the last chunk takes a small rest along, and ends the job.
"""

from __future__ import annotations

from dataclasses import dataclass

# A chunk grows at most this many times over from one chunk to the next.
MAX_GROWTH = 8


def next_chunk_size(size: int, seconds: float, *, least: int, budget: float) -> int:
    """The next chunk's size, from how long a chunk of `size` contacts took: grown while
    chunks finish well under the budget (at most MAX_GROWTH times over), shrunk when one took
    longer, never under `least` (the configured chunk). A budget of 0 keeps every chunk at
    `least`. The time of a chunk includes its fixed work, so a small chunk's rate is
    underestimated, never over."""
    if budget <= 0:
        return least
    grown = size * MAX_GROWTH if seconds * MAX_GROWTH <= budget else int(size * budget / seconds)
    return max(least, grown)


@dataclass(frozen=True, slots=True)
class Chunk:
    low: int  # the contacts after this id...
    high: int  # ...up to this one
    last: bool  # it ends the job (and takes every contact after `low`)
    count: bool  # the scan counts the chunk's contacts (else the job counts the table at its end)


def plan_chunk(*, cursor: int, size: int, last_id: int, tables_counted_at_once: bool) -> Chunk:
    """The chunk of about `size` contacts after `cursor`, `last_id` being the highest id.

    Half a chunk or less would be left: it is taken too (one statement less, and on
    PostgreSQL the sequential scan it chooses for a large share of the table). The last
    chunk leaves its contacts uncounted where counting a whole table is much cheaper than
    counting rows in the scan (SQLite reads the count off the table's b-tree)."""
    high = min(cursor + size, last_id)
    if last_id - high <= size // 2:
        high = last_id
    last = high == last_id
    return Chunk(cursor, high, last, count=not (last and tables_counted_at_once))


@dataclass(frozen=True, slots=True)
class Progress:
    cursor: int
    scanned: int
    total: int
    matches_created: int


def progress_after(
    before: Progress, chunk: Chunk, *, scanned: int | None, made: int, table_count: int | None
) -> Progress:
    """The job's progress once `chunk` is done: `scanned` contacts in it (None when the scan
    did not count them: then `table_count`, the whole table's, is the job's total) and `made`
    matches. The total grows with the scan while an estimate was low; the last chunk makes
    it exact."""
    if scanned is None:
        assert table_count is not None, "an uncounted chunk needs the table's count"
        done = table_count
    else:
        done = before.scanned + scanned
    total = done if chunk.last else max(before.total, done)
    return Progress(chunk.high, done, total, before.matches_created + made)
