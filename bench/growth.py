"""Growth (issue #15, item 6): fetch history (the narrow rule and the broad one) and ingest at
several sizes (10 events per contact), on SQLite and PostgreSQL, and the server's memory under
HTTP load at the largest size.

At each size and database:

- fetch history of the benchmarks' narrow rule (`bench.same_rows.measure`) and of the broad
  one (`bench.broad.measure`), each against its same-rows SQL; both must write the same rows,
  or the run stops. Cost: microseconds of our job per contact in the table.
- ingest: batches of 1,000 events through `record_events` with 100 active streams, taking
  turns with bare `executemany` inserts of the same events (`bench.ingest`). Cost:
  microseconds per event, on a database of that many contacts.

Each figure `growth_*` is the cost per contact (per event for ingest) at the largest size
divided by the cost at the smallest: flat or falling is at most 1 (goal ≤ 1.1, for the
noise). The same-rows ratios at each size are in `growth_<database>_by_size`: they are measured
in the same minutes as ours, so they show the trend on a shared machine better than the
absolute times do.

`growth_server_peak_rss_mb_<database>`: the peak resident memory (`VmHWM`, the server process
and its children) of `leadstreams serve` (one process) while `bench._load` POSTs events at
500/s (the HTTP benchmark's load), on the largest dataset; also the largest anonymous part
(`RssAnon`, sampled every 0.1 s: what the process allocated, without the file pages that
SQLite's memory map brings in).

Below 1M contacts ingest and the HTTP load work on copies of the dataset, as the other parts
do. From 1M up, to spare copies of minutes and gigabytes (5M contacts: ~16 GB each), they
work on the cached dataset itself and delete what they added afterwards (events by their
id's prefix, and the tables a run makes; the server's admin user stays), so datasets stay
as loaded; runs at the same time on one dataset would see each other's rows: use your own
`--seed`.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import _service, broad, http, same_rows
from bench._report import Figure, Outcome
from bench.data import TYPES, Size, drop_postgres, postgres_copy, remove_sqlite, sqlite_copy
from bench.ingest import (
    _bare_rows,
    _record,
    add_streams,
    alternate,
    bare_insert,
    batches,
    make_events,
    stream_rule,
)

BACKENDS = ("sqlite", "postgres")
PREFIX = "growth-"  # the event ids ingest adds here, deleted afterwards
HTTP_PREFIX = "http-"  # bench.http's event ids
STREAMS = 100
BATCH = 1_000
IN_PLACE_FROM = 1_000_000  # contacts: from here on, no copy of the dataset
MEASURES = ("fetch_history_narrow", "fetch_history_broad", "ingest", "server_peak_rss_mb")
KEYS = tuple(f"growth_{what}_{db}" for db in BACKENDS for what in MEASURES)


def _remove_added(url: str) -> None:
    ctx = _service.context(url)
    with ctx.database.engine.begin() as connection:
        for prefix in (PREFIX, HTTP_PREFIX):
            added = {"p": prefix + "%"}
            connection.execute(text("DELETE FROM events WHERE event_id LIKE :p"), added)
    _service.empty(ctx.database.engine)
    ctx.database.engine.dispose()


def _workspace(backend: str, size: Size, name: str) -> tuple[str, bool]:
    """The database to add events to: (its URL, whether it is a copy to drop)."""
    if size.contacts >= IN_PLACE_FROM:
        return same_rows.url_of(backend, size), False
    copy = sqlite_copy if backend == "sqlite" else postgres_copy
    return copy(size, name), True


def _done_with(url: str, copied: bool) -> None:
    if not copied:
        _remove_added(url)
    elif url.startswith("sqlite"):
        remove_sqlite(url)
    else:
        drop_postgres(url.rsplit("/", 1)[1])


def ingest_growth(backend: str, size: Size, rounds: int) -> dict[str, Any]:
    """Ours and the bare insert in turn, batch by batch (round 0 a warm-up): µs per event."""
    url, copied = _workspace(backend, size, "bench_growth")
    ctx = _service.context(url)
    engine = ctx.database.engine
    _service.empty(engine)
    try:
        add_streams(ctx, [stream_rule(k, TYPES[k % 4]) for k in range(STREAMS)])
        events = make_events(size, (rounds + 1) * BATCH, salt=size.contacts)
        ours = list(batches(events, PREFIX + "ours"))
        bare = [_bare_rows(engine, b) for b in batches(events, PREFIX + "bare")]
        insert = bare_insert(engine)
        spent = alternate({"ours": lambda k: _record(ctx, ours[k]),
                           "bare": lambda k: insert(bare[k])}, rounds)  # fmt: skip
    finally:
        engine.dispose()
        _done_with(url, copied)
    per_event = {name: seconds / (rounds * BATCH) * 1e6 for name, seconds in spent.items()}
    return {"ours_us_per_event": round(per_event["ours"], 1),
            "bare_us_per_event": round(per_event["bare"], 1),
            "ratio": round(per_event["ours"] / per_event["bare"], 3)}  # fmt: skip


def _status_kb(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            found[name] = int(value.split()[0])
    return found


def _family(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


class _Sampler(threading.Thread):
    """The largest `RssAnon` and `VmHWM` of a process and its children, every 0.1 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak = pid, {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
        self.done = threading.Event()

    def sample(self) -> None:
        for pid in _family(self.pid):
            try:
                status = _status_kb(pid)
            except OSError:
                continue
            for key in self.peak:
                self.peak[key] = max(self.peak[key], status.get(key, 0))

    def run(self) -> None:
        while not self.done.wait(0.1):
            self.sample()


def server_memory(backend: str, size: Size, *, rate: int, seconds: float) -> dict[str, Any]:
    """The server's peak memory while it takes `rate` events/s for `seconds` (one process)."""
    url, copied = _workspace(backend, size, "bench_growth_http")
    http._set_up(url)
    port = http._free_port()
    server = http.start_server(url, port)
    sampler = _Sampler(server.pid)
    try:
        bearer = http.token(port)
        http.load(port, bearer, http._events(size, 200, 1), 100)  # warm-up
        sampler.sample()
        at_start = dict(sampler.peak)
        sampler.start()
        step = http.load(port, bearer, http._events(size, int(rate * seconds), 2), rate,
                         server.pid)  # fmt: skip
        sampler.done.set()
        sampler.join()
        sampler.sample()
    finally:
        http.stop_server(server)
        _done_with(url, copied)
    mb = {key: round(kb / 1024, 1) for key, kb in sampler.peak.items()}
    return {"peak_rss_mb": mb["VmHWM"], "peak_anon_mb": mb["RssAnon"],
            "peak_file_mb": mb["RssFile"],
            "anon_after_warm_up_mb": round(at_start["RssAnon"] / 1024, 1),
            "rate": rate, "seconds": seconds, "load": http._summary(step)}  # fmt: skip


def _row(backend: str, size: Size, repeats: int, rounds: int, with_broad: bool) -> dict[str, Any]:
    url = same_rows.url_of(backend, size)
    narrow = same_rows.measure(url, size, repeats)
    wide = broad.measured(backend, size, repeats) if with_broad else None
    ingest = ingest_growth(backend, size, rounds)
    n = size.contacts
    row = {
        "contacts": n, "events": size.events,
        "narrow_us_per_contact": round(narrow["ours_s"] / n * 1e6, 3),
        "narrow_ratio": narrow["ratio"], "narrow_leads": narrow["leads"],
        "ingest_us_per_event": ingest["ours_us_per_event"], "ingest_vs_bare": ingest["ratio"],
        "narrow": narrow, "ingest": ingest,
    }  # fmt: skip
    if wide is not None:
        row |= {"broad_us_per_contact": round(wide["ours_s"] / n * 1e6, 3),
                "broad_ratio": wide["ratio"], "broad_leads": wide["leads"],
                "broad_peak_python_mb": wide["peak_python_mb"], "broad": wide}  # fmt: skip
    return row


def growth(
    sizes: list[Size], *, repeats: int, rounds: int, rate: int, seconds: float,
    backends: tuple[str, ...] = BACKENDS, memory_on: tuple[str, ...] = BACKENDS,
    memory_only: bool = False, broad_up_to: int | None = None,
) -> Outcome:  # fmt: skip
    """Every size on each database in `backends`; the server's memory on those of
    `memory_on`, at the largest size. `memory_only`: the memory alone (at 5M contacts a broad
    job writes a million leads, which takes most of an hour on a busy machine);
    `broad_up_to`: the broad fetch history only at sizes up to this many contacts."""
    outcome = Outcome()
    for backend in backends:
        rows = []
        for size in [] if memory_only else sizes:
            started = time.perf_counter()
            with_broad = broad_up_to is None or size.contacts <= broad_up_to
            rows.append(_row(backend, size, repeats, rounds, with_broad))
            shown = {k: v for k, v in rows[-1].items() if k not in ("narrow", "broad", "ingest")}
            print(f"  growth {backend} {size.key}: {shown} ({time.perf_counter() - started:.0f}s)",
                  flush=True)  # fmt: skip
        if rows:
            outcome.details[f"growth_{backend}_by_size"] = rows
            outcome.figures += _figures(backend, rows)
        if backend in memory_on:
            memory = server_memory(backend, sizes[-1], rate=rate, seconds=seconds)
            print(f"  growth {backend} server memory at {sizes[-1].contacts:,}: {memory}",
                  flush=True)  # fmt: skip
            memory["contacts"] = sizes[-1].contacts
            outcome.details[f"growth_{backend}_server_memory"] = memory
            outcome.figures.append(_memory_figure(backend, memory))
    return outcome


def _figures(backend: str, every_row: list[dict[str, Any]]) -> list[Figure]:
    figures = []
    for name, key, unit in (("fetch_history_narrow", "narrow_us_per_contact", "µs/contact"),
                            ("fetch_history_broad", "broad_us_per_contact", "µs/contact"),
                            ("ingest", "ingest_us_per_event", "µs/event")):  # fmt: skip
        rows = [row for row in every_row if key in row]  # the broad one may stop short
        if not rows:
            continue
        first, last = rows[0], rows[-1]
        span = f"{first['contacts']:,} → {last['contacts']:,} contacts"
        growth = last[key] / first[key]
        costs = " → ".join(f"{row[key]:g}" for row in rows)
        figures.append(Figure(f"growth_{name}_{backend}", growth, "<= 1.1",
                              f"{costs} {unit}, {span}"))  # fmt: skip
    return figures


def _memory_figure(backend: str, memory: dict[str, Any]) -> Figure:
    note = (
        f"RssAnon peak {memory['peak_anon_mb']} MB, file pages {memory['peak_file_mb']} MB; "
        f"{memory['rate']}/s for {memory['seconds']:g} s, {memory['contacts']:,} contacts"
    )
    return Figure(f"growth_server_peak_rss_mb_{backend}", memory["peak_rss_mb"], "< 300", note)
