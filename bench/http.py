"""Single-event HTTP ingest against `leadstreams serve`: one process on SQLite, and one or
several processes (`--workers N`) on PostgreSQL.

The server runs on a copy of the dataset with 10 active streams, one of which makes a lead of
any contact that submits a form. A separate load process (`bench._load`) POSTs events to
`/api/v1/events` on 127.0.0.1 at a fixed rate (open loop). Evaluation happens in the request's
transaction, so a lead is readable once its POST is answered: the latency of the POSTs that
made or matched a lead is the time from POST to the lead being readable; a sample of those
leads is read back with GET afterwards to check it. Every run is bounded in requests and time.

`http_event_to_lead_p99_ms`: p99 of that latency at 500 events/s, one server on SQLite;
`http_event_to_lead_p99_ms_postgres` the same with one server process on PostgreSQL.
`events_per_second_http`: the highest rate of a rising series that the server sustains (it
answers 95% of the rate) with a p99 of at most 100 ms; `events_per_second_http_postgres_N`
the same with N server processes on PostgreSQL. Each step also records the server's CPU
time per event (all its threads and processes, from /proc), which says more than latency on
a machine that is busy with other work.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import psycopg

from bench import _service
from bench._report import Figure, Outcome
from bench.data import PG_SERVER, Size, drop_postgres, postgres_copy, remove_sqlite, sqlite_copy
from bench.ingest import add_streams, make_events, stream_rule

ADMIN, PASSWORD = "bench@example.com", "bench-password"
EASY = {"event": "form_submitted", "min_count": 1, "within_days": 30}
ROOT = Path(__file__).parent.parent
GOOD_P99_MS = 100.0
HOPELESS_P99_MS = 1000.0  # the queue grows: higher rates only take longer to fail


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(url: str) -> dict[str, str]:
    return os.environ | {"LEADSTREAMS_DATABASE_URL": url, "LEADSTREAMS_LOG_LEVEL": "WARNING"}


def _leadstreams(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("leadstreams")), *args]


def _set_up(url: str) -> str:
    env = _environment(url)
    init = _leadstreams("init", "--admin-email", ADMIN, "--admin-password", PASSWORD)
    subprocess.run(init, env=env, check=True, capture_output=True, timeout=120)
    ctx = _service.context(url)
    add_streams(ctx, [{"all": [EASY]}] + [stream_rule(k, "form_submitted") for k in range(9)])
    ctx.database.engine.dispose()
    return url


def prepare(size: Size) -> str:
    return _set_up(sqlite_copy(size, "bench_http"))


def prepare_postgres(size: Size) -> str:
    url = _set_up(postgres_copy(size, "bench_http"))
    # The copy went through the WAL (CREATE DATABASE ... TEMPLATE); the checkpoint that
    # writes it out would otherwise stall the commits of the run for up to a second.
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute("CHECKPOINT")
    return url


STARTUP_SECONDS = 300


def start_server(
    url: str, port: int, workers: int = 1, command: list[str] | None = None
) -> subprocess.Popen[bytes]:
    command = command or _leadstreams("serve", "--port", str(port), "--workers", str(workers))
    server = subprocess.Popen(command, env=_environment(url), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, cwd=ROOT)  # fmt: skip
    # A start on a busy machine (migrations, a warm-up of a large database) can take minutes:
    # wait while the process lives, and stop at once when it has ended.
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"{' '.join(command)} ended with {server.returncode} before /healthz")
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"{' '.join(command)} did not answer /healthz in {STARTUP_SECONDS} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(30)


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and all its descendants so far (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # gone, or not Linux
    return total


def _request(port: int, method: str, path: str, body: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body, headers or {})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def token(port: int) -> str:
    form = urllib.parse.urlencode({"username": ADMIN, "password": PASSWORD})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, body = _request(port, "POST", "/api/v1/auth/token", form, headers)
    if status != 200:
        raise SystemExit(f"could not log in to the benchmark server: {status} {body}")
    return str(body["access_token"])


def load(
    port: int, bearer: str, events: list[dict[str, Any]], rate: float, server_pid: int = 0
) -> dict[str, Any]:
    """Run the load process once: every event POSTed at `rate`; latencies in ms."""
    orders = json.dumps({"port": port, "token": bearer, "rate": rate, "events": events})
    cpu_before = server_cpu_seconds(server_pid) if server_pid else 0.0
    done = subprocess.run([sys.executable, "-m", "bench._load"], input=orders.encode(),
                          capture_output=True, cwd=ROOT, timeout=600, check=True)  # fmt: skip
    cpu = server_cpu_seconds(server_pid) - cpu_before if server_pid else float("nan")
    report = json.loads(done.stdout)
    rows = report["results"]
    failed = [status for status, _, _ in rows if status >= 300]
    if failed:
        raise SystemExit(f"the server refused {len(failed)} events (e.g. {failed[0]})")
    return {
        "rate": rate,
        "achieved": len(rows) / report["elapsed"],
        "all_ms": sorted(seconds * 1000 for _, seconds, _ in rows),
        "lead_ms": sorted(seconds * 1000 for _, seconds, leads in rows if leads),
        "leads": [lead for _, _, leads in rows for lead in leads],
        "server_cpu_ms": cpu * 1000 / len(rows),
    }


def p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.99))] if values else float("nan")


def check_readable(port: int, bearer: str, leads: list[int]) -> None:
    headers = {"Authorization": f"Bearer {bearer}"}
    for lead_id in leads[:20]:
        status, _ = _request(port, "GET", f"/api/v1/leads/{lead_id}", headers=headers)
        if status != 200:
            raise SystemExit(f"lead {lead_id} from a POST's answer is not readable ({status})")


def _events(size: Size, count: int, salt: int) -> list[dict[str, Any]]:
    """Events as a client sends them: no `occurred_at` (the server's clock is real time)."""
    made = make_events(size, count, salt=salt)
    return [{k: v for k, v in e.items() if k != "occurred_at"} | {"event_id": f"http-{salt}-{i}"}
            for i, e in enumerate(made)]  # fmt: skip


def _good(step: dict[str, Any]) -> bool:
    return p99(step["all_ms"]) <= GOOD_P99_MS and step["achieved"] >= 0.95 * step["rate"]


def _ramp(
    port: int, bearer: str, size: Size, rates: list[int], seconds: float, server_pid: int,
    label: str, salt: int = 0,
) -> list[Any]:  # fmt: skip
    """Rising rates until the server falls behind (or misses twice in a row)."""
    steps: list[dict[str, Any]] = []
    for rate in rates:
        events = _events(size, int(rate * seconds), salt + rate)
        step = load(port, bearer, events, rate, server_pid)
        steps.append(step)
        summary = _summary(step)
        print(f"  {label} {rate}/s: achieved {summary['achieved']}/s, p50 {summary['p50_ms']} "
              f"ms, p99 {summary['p99_ms']} ms, server CPU {summary['server_cpu_ms']} ms/event",
              flush=True)  # fmt: skip
        behind = step["achieved"] < 0.95 * rate or p99(step["all_ms"]) > HOPELESS_P99_MS
        if behind or (len(steps) >= 2 and not _good(steps[-1]) and not _good(steps[-2])):
            break
    return steps


def _sqlite(size: Size, seconds: float, rates: list[int]) -> tuple[dict[str, Any], list[Any]]:
    url = prepare(size)
    port = _free_port()
    server = start_server(url, port)
    try:
        bearer = token(port)
        load(port, bearer, _events(size, 200, 1), 100)  # warm-up
        at_500 = load(port, bearer, _events(size, int(500 * seconds), 2), 500, server.pid)
        check_readable(port, bearer, at_500["leads"])
        print(f"  http 500/s: {_summary(at_500)}", flush=True)
        steps = _ramp(port, bearer, size, rates, seconds, server.pid, "http")
    finally:
        stop_server(server)
        remove_sqlite(url)
    return at_500, steps


def _postgres(
    url: str, size: Size, workers: int, seconds: float, rates: list[int], at_500: bool = False
) -> tuple[list[Any], dict[str, Any] | None]:
    """The ramp with `workers` server processes; first 500 events/s for `seconds` if asked."""
    port = _free_port()
    server = start_server(url, port, workers)
    step_500 = None
    try:
        bearer = token(port)
        warm_up = _events(size, 100 * workers, 1000 + workers)
        load(port, bearer, warm_up, 100)  # every worker
        if at_500:
            events = _events(size, int(500 * seconds), 5000 + workers)
            step_500 = load(port, bearer, events, 500, server.pid)
            check_readable(port, bearer, step_500["leads"])
            print(f"  postgres x{workers} 500/s: {_summary(step_500)}", flush=True)
        label, salt = f"postgres x{workers}", 10_000 * workers  # new events for each run
        steps = _ramp(port, bearer, size, rates, seconds, server.pid, label, salt)
        check_readable(port, bearer, [lead for step in steps for lead in step["leads"]])
    finally:
        stop_server(server)
    return steps, step_500


def http_benchmarks(size: Size, *, seconds: float, rates: list[int]) -> Outcome:
    """One server process on SQLite: the p99 at 500/s, and the sustained rate."""
    at_500, steps = _sqlite(size, seconds, rates)
    return _outcome(at_500, steps)


def http_postgres_benchmarks(
    size: Size, *, workers: list[int], seconds: float, rates: list[int]
) -> Outcome:
    """The sustained rate on PostgreSQL with each number of server processes, one after the
    other on one copy of the dataset (each with new events)."""
    outcome = Outcome()
    url = prepare_postgres(size)
    try:
        for count in workers:
            ramp, at_500 = _postgres(url, size, count, seconds, rates, at_500=count == 1)
            if at_500 is not None:
                outcome.figures.append(_lead_p99_postgres(at_500))
                outcome.details["http_at_500_postgres"] = _summary(at_500) | {
                    "lead_p99_ms": round(p99(at_500["lead_ms"]), 1)
                }
            processes = f"{count} server process{'es' if count > 1 else ''}"
            outcome.figures.append(
                Figure(f"events_per_second_http_postgres_{count}", _sustained(ramp), "report",
                       f"{processes}, PostgreSQL, p99 <= 100 ms")
            )  # fmt: skip
            outcome.details[f"http_ramp_postgres_{count}"] = {str(s["rate"]): _summary(s)
                                                              for s in ramp}  # fmt: skip
    finally:
        drop_postgres(url.rsplit("/", 1)[1])
    return outcome


def _summary(step: dict[str, Any]) -> dict[str, float]:
    times = step["all_ms"]
    return {"achieved": round(step["achieved"]), "p50_ms": round(times[len(times) // 2], 1),
            "p99_ms": round(p99(times), 1),
            "server_cpu_ms": round(step["server_cpu_ms"], 2)}  # fmt: skip


def _lead_p99_postgres(at_500: dict[str, Any]) -> Figure:
    """`http_event_to_lead_p99_ms_postgres`: as `http_event_to_lead_p99_ms`, one server
    process on PostgreSQL."""
    made = f"{len(at_500['lead_ms'])} of {len(at_500['all_ms'])} events made or matched a lead"
    note = (f"{made}; p99 of all POSTs {p99(at_500['all_ms']):.1f} ms; achieved "
            f"{at_500['achieved']:.0f}/s; one server process")  # fmt: skip
    return Figure("http_event_to_lead_p99_ms_postgres", p99(at_500["lead_ms"]), "< 50", note)


def _sustained(steps: list[dict[str, Any]]) -> int:
    return max((s["rate"] for s in steps if _good(s)), default=0)


def _outcome(at_500: dict[str, Any], steps: list[dict[str, Any]]) -> Outcome:
    lead_p99, all_p99 = p99(at_500["lead_ms"]), p99(at_500["all_ms"])
    made = f"{len(at_500['lead_ms'])} of {len(at_500['all_ms'])} events made or matched a lead"
    note = f"{made}; p99 of all POSTs {all_p99:.1f} ms; achieved {at_500['achieved']:.0f}/s"
    ramp = {str(s["rate"]): _summary(s) for s in steps}
    figures = [
        Figure("http_event_to_lead_p99_ms", lead_p99, "< 50", note),
        Figure(
            "events_per_second_http",
            _sustained(steps),
            "report",
            "single server, SQLite, p99 <= 100 ms",
        ),
    ]
    details = {"http_ramp": ramp, "http_post_p99_ms_at_500": round(all_p99, 1),
               "http_at_500": _summary(at_500) | {"lead_p99_ms": round(lead_p99, 1)}}  # fmt: skip
    return Outcome(figures, details)
