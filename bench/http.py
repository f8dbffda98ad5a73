"""Single-event HTTP ingest against one `leadstreams serve` process on SQLite.

The server runs on a copy of the dataset with 10 active streams, one of which makes a lead of
any contact that submits a form. A separate load process (`bench._load`) POSTs events to
`/api/v1/events` on 127.0.0.1 at a fixed rate (open loop). Evaluation happens in the request's
transaction, so a lead is readable once its POST is answered: the latency of the POSTs that
made or matched a lead is the time from POST to the lead being readable; a sample of those
leads is read back with GET afterwards to check it. Every run is bounded in requests and time.

`http_event_to_lead_p99_ms`: p99 of that latency at 500 events/s.
`events_per_second_http`: the highest rate of a rising series that the server sustains (it
answers 95% of the rate) with a p99 of at most 100 ms.
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

from bench import _service
from bench._report import Figure, Outcome
from bench.data import Size, remove_sqlite, sqlite_copy
from bench.ingest import add_streams, make_events, stream_rule

ADMIN, PASSWORD = "bench@example.com", "bench-password"
EASY = {"event": "form_submitted", "min_count": 1, "within_days": 30}
ROOT = Path(__file__).parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(url: str) -> dict[str, str]:
    return os.environ | {"LEADSTREAMS_DATABASE_URL": url, "LEADSTREAMS_LOG_LEVEL": "WARNING"}


def _leadstreams(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("leadstreams")), *args]


def prepare(size: Size) -> str:
    url = sqlite_copy(size, "bench_http")
    env = _environment(url)
    init = _leadstreams("init", "--admin-email", ADMIN, "--admin-password", PASSWORD)
    subprocess.run(init, env=env, check=True, capture_output=True, timeout=120)
    ctx = _service.context(url)
    add_streams(ctx, [{"all": [EASY]}] + [stream_rule(k, "form_submitted") for k in range(9)])
    ctx.engine.dispose()
    return url


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    command = _leadstreams("serve", "--port", str(port))
    server = subprocess.Popen(command, env=_environment(url), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("leadstreams serve did not answer /healthz within 60 s")


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


def load(port: int, bearer: str, events: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    """Run the load process once: every event POSTed at `rate`; latencies in ms."""
    orders = json.dumps({"port": port, "token": bearer, "rate": rate, "events": events})
    done = subprocess.run([sys.executable, "-m", "bench._load"], input=orders.encode(),
                          capture_output=True, cwd=ROOT, timeout=600, check=True)  # fmt: skip
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


def _ramp(port: int, bearer: str, size: Size, rates: list[int], seconds: float) -> list[Any]:
    steps = []
    for rate in rates:
        step = load(port, bearer, _events(size, int(rate * seconds), rate), rate)
        steps.append(step)
        print(
            f"  http {rate}/s: achieved {step['achieved']:.0f}/s, p99 {p99(step['all_ms']):.1f} ms"
        )
        if p99(step["all_ms"]) > 100 or step["achieved"] < 0.95 * rate:
            break
    return steps


def http_benchmarks(size: Size, *, seconds: float, rates: list[int]) -> Outcome:
    url = prepare(size)
    port = _free_port()
    server = start_server(url, port)
    try:
        bearer = token(port)
        load(port, bearer, _events(size, 200, 1), 100)  # warm-up
        at_500 = load(port, bearer, _events(size, int(500 * seconds), 2), 500)
        check_readable(port, bearer, at_500["leads"])
        steps = _ramp(port, bearer, size, rates, seconds)
    finally:
        server.terminate()
        server.wait(30)
        remove_sqlite(url)
    return _outcome(at_500, steps)


def _summary(step: dict[str, Any]) -> dict[str, float]:
    times = step["all_ms"]
    return {"achieved": round(step["achieved"]), "p50_ms": round(times[len(times) // 2], 1),
            "p99_ms": round(p99(times), 1)}  # fmt: skip


def _outcome(at_500: dict[str, Any], steps: list[dict[str, Any]]) -> Outcome:
    good = [s for s in steps if p99(s["all_ms"]) <= 100 and s["achieved"] >= 0.95 * s["rate"]]
    sustained = max((s["rate"] for s in good), default=0)
    lead_p99, all_p99 = p99(at_500["lead_ms"]), p99(at_500["all_ms"])
    made = f"{len(at_500['lead_ms'])} of {len(at_500['all_ms'])} events made or matched a lead"
    note = f"{made}; p99 of all POSTs {all_p99:.1f} ms; achieved {at_500['achieved']:.0f}/s"
    ramp = {str(s["rate"]): _summary(s) for s in steps}
    figures = [
        Figure("http_event_to_lead_p99_ms", lead_p99, "< 50", note),
        Figure(
            "events_per_second_http", sustained, "report", "single server, SQLite, p99 <= 100 ms"
        ),
    ]
    return Outcome(figures, {"http_ramp": ramp, "http_post_p99_ms_at_500": round(all_p99, 1)})
