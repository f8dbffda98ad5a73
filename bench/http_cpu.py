"""`http_cpu_per_event_vs_bare_endpoint`: the server's CPU time per `POST /api/v1/events`
(`leadstreams serve`, one process on SQLite, 10 active streams as in `bench.http`) divided by
the same for a bare endpoint in the same framework and server that inserts the same event row
and nothing else (`bench._bare_events`).

Both servers run at once on one copy of the dataset; the load process offers the same events
(other `event_id`s) at the same rate to each in turn, round after round, so that the
machine's other work weighs on both alike. CPU time is read from /proc (all the server's
threads and processes), not the wall clock. Both must have stored the same rows (contact,
type, properties), or the run stops.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from sqlalchemy import text

from bench import http
from bench._report import Figure, Outcome
from bench.data import Size, remove_sqlite
from leadstreams.store.engine import make_engine


def _bare_command(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "bench._bare_events:app_from_environment",
            "--factory", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning"]  # fmt: skip


def _named(events: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [e | {"event_id": f"{prefix}-{i}"} for i, e in enumerate(events)]


def _stored(url: str, prefix: str) -> list[tuple[Any, ...]]:
    """The rows stored for the events named `prefix-*`, in the order they were offered."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT event_id, contact_id, type, properties FROM events "
                     "WHERE event_id LIKE :p"), {"p": f"{prefix}-%"},
            ).all()  # fmt: skip
    finally:
        engine.dispose()
    rows.sort(key=lambda row: int(row[0].rsplit("-", 1)[1]))
    props = [json.loads(p) if isinstance(p, str) else p for *_, p in rows]
    return [(contact, type_, json.dumps(p, sort_keys=True))
            for (_, contact, type_, _), p in zip(rows, props, strict=True)]  # fmt: skip


def cpu_per_event_vs_bare(size: Size, *, seconds: float, rate: int, rounds: int) -> Outcome:
    url = http.prepare(size)
    ours_port, bare_port = http._free_port(), http._free_port()
    ours = http.start_server(url, ours_port)
    bare = http.start_server(url, bare_port, command=_bare_command(bare_port))
    cpu: dict[str, float] = {"ours": 0.0, "bare": 0.0}
    count = int(rate * seconds)
    try:
        bearer = http.token(ours_port)
        for name, port in (("ours", ours_port), ("bare", bare_port)):
            http.load(port, bearer, _named(http._events(size, 100, 1), f"warm-{name}"), 100)
        for r in range(rounds):
            events = http._events(size, count, 500 + r)
            for name, port, server in (("ours", ours_port, ours), ("bare", bare_port, bare)):
                step = http.load(port, bearer, _named(events, f"cpu-{name}-{r}"), rate, server.pid)
                cpu[name] += step["server_cpu_ms"] / rounds
                print(f"  cpu {name} round {r}: {step['server_cpu_ms']:.2f} ms/event, "
                      f"achieved {step['achieved']:.0f}/s", flush=True)  # fmt: skip
            # Both contestants must have stored the same rows.
            if _stored(url, f"cpu-ours-{r}") != _stored(url, f"cpu-bare-{r}"):
                raise SystemExit(f"round {r}: ours and the bare endpoint stored other rows")
    finally:
        http.stop_server(ours)
        http.stop_server(bare)
        remove_sqlite(url)
    ratio = cpu["ours"] / cpu["bare"]
    note = (f"{cpu['ours']:.2f} vs {cpu['bare']:.2f} ms of server CPU per event, "
            f"{rate}/s offered, {rounds} x {count} events each, SQLite")  # fmt: skip
    figure = Figure("http_cpu_per_event_vs_bare_endpoint", ratio, "<= 2.0", note)
    details = {"http_cpu_per_event_ms": {k: round(v, 3) for k, v in cpu.items()} | {"rate": rate}}
    return Outcome([figure], details)
