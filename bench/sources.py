"""The tracking API and API keys against `leadstreams serve` (one process, SQLite).

`segment_batch_vs_native_batch`: events/s through `POST /v1/batch` with batches of 100
Segment messages (HTTP Basic with an ingest key), divided by events/s through
`POST /api/v1/events/batch` with the same events (bearer token). Both record through the
same ingestion with 10 active streams; each batch has new message ids, for 1,000 users that
a warm-up created. A batch goes through each in turn, timed apart, so that the machine's
other work weighs on both alike.

`api_key_auth_vs_token`: the time per request of `GET /api/v1/streams` authenticated with a
`read` API key, divided by the same with a session token: what authenticating a key costs
against a token, within a whole request; one request with each in turn, on two keep-alive
connections, so that the machine's other work weighs on both alike.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import _service
from bench._report import Figure, Outcome
from bench.data import NOW, PROPERTIES
from bench.http import _environment, _free_port, _leadstreams, start_server, stop_server, token
from bench.ingest import add_streams, stream_rule

USERS = 1_000
BATCH = 100
NAMES = {"form_submitted": "Form Submitted", "email_opened": "Email Opened",
         "email_clicked": "Email Link Clicked"}  # fmt: skip


def _pair(rng: random.Random, round_: int, n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """One event as a Segment message and as our API's event: the same event either way."""
    type_ = rng.choice(["page_visited", *NAMES])
    user, event_id = f"u{rng.randrange(USERS)}", f"r{round_}-{n}"
    at = (NOW - timedelta(minutes=rng.randrange(7 * 1440))).isoformat()
    properties = dict(rng.choice(PROPERTIES[type_]))
    if type_ == "page_visited":
        properties["path"] = properties["url"]
        message = {"type": "page", "properties": properties}
    else:
        properties = {k: v for k, v in properties.items() if v is not None}
        message = {"type": "track", "event": NAMES[type_], "properties": properties}
    message |= {"userId": user, "messageId": event_id, "timestamp": at}
    native = {"event_id": event_id, "external_id": user, "type": type_, "occurred_at": at,
              "properties": properties}  # fmt: skip
    return message, native


def _batches(seed: int, round_: int, count: int) -> tuple[list[bytes], list[bytes]]:
    rng = random.Random(seed * 1_000 + round_)
    segment, native = [], []
    for b in range(count):
        pairs = [_pair(rng, round_, b * BATCH + n) for n in range(BATCH)]
        segment.append(json.dumps({"batch": [p[0] for p in pairs]}).encode())
        native.append(json.dumps({"events": [p[1] for p in pairs]}).encode())
    return segment, native


class _Connection:
    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = headers | {"Content-Type": "application/json"}

    def call(self, method: str, path: str, body: bytes | None = None) -> Any:
        self.http.request(method, path, body, self.headers)
        response = self.http.getresponse()
        answer = json.loads(response.read() or b"null")
        if response.status != 200:
            raise SystemExit(f"{method} {path}: {response.status} {answer}")
        return answer

    def posts(self, path: str, bodies: list[bytes]) -> None:
        for body in bodies:
            self.call("POST", path, body)

    def gets(self, path: str, times: int) -> None:
        for _ in range(times):
            self.call("GET", path)


def _timed(work: Callable[..., None], *args: Any) -> float:
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


def _key(url: str, scope: str) -> str:
    command = _leadstreams("api-keys", "create", "--name", f"bench {scope}", "--scope", scope)
    made = subprocess.run(command, env=_environment(url), check=True, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    return made.stdout.strip().splitlines()[-1]


def _prepare(folder: Path) -> str:
    url = f"sqlite:///{folder / 'sources.db'}"
    subprocess.run(_leadstreams("init", "--admin-email", "bench@example.com",
                                "--admin-password", "bench-password"),
                   env=_environment(url), check=True, capture_output=True, timeout=120)  # fmt: skip
    ctx = _service.context(url)
    easy = {"event": "form_submitted", "min_count": 1, "within_days": 30}
    add_streams(ctx, [{"all": [easy]}] + [stream_rule(k, "form_submitted") for k in range(9)])
    ctx.database.engine.dispose()
    return url


def sources_benchmarks(*, batches: int, rounds: int, requests: int, seed: int = 1) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="bench-sources-") as folder:
        url = _prepare(Path(folder))
        ingest_key, read_key = _key(url, "ingest"), _key(url, "read")
        port = _free_port()
        server = start_server(url, port)
        try:
            basic = base64.b64encode(f"{ingest_key}:".encode()).decode()
            segment = _Connection(port, {"Authorization": f"Basic {basic}"})
            bearer = token(port)
            native = _Connection(port, {"Authorization": f"Bearer {bearer}"})
            batch = _batch_figures(segment, native, seed, batches, rounds)
            auth = _auth_figures(port, read_key, bearer, requests, rounds)
        finally:
            stop_server(server)
    return Outcome(figures=[batch[0], auth[0]], details=batch[1] | auth[1])


def _batch_figures(
    segment: _Connection, native: _Connection, seed: int, batches: int, rounds: int
) -> tuple[Figure, dict[str, Any]]:
    warm_segment, warm_native = _batches(seed, 0, USERS // BATCH)  # makes every user's contact
    for body in warm_segment:
        segment.call("POST", "/v1/batch", body)
    for body in warm_native:  # the same event ids: all duplicates, only warms the path
        native.call("POST", "/api/v1/events/batch", body)
    # A batch through each in turn, timed apart: the machine's other work weighs on both.
    spent = {"segment": 0.0, "native": 0.0}
    for round_ in range(1, rounds + 1):
        seg_bodies, _ = _batches(seed, 2 * round_, batches)
        _, native_bodies = _batches(seed, 2 * round_ + 1, batches)
        for seg_body, native_body in zip(seg_bodies, native_bodies, strict=True):
            spent["segment"] += _timed(segment.posts, "/v1/batch", [seg_body])
            spent["native"] += _timed(native.posts, "/api/v1/events/batch", [native_body])
    best = {name: seconds / rounds for name, seconds in spent.items()}
    events = batches * BATCH
    rates = {name: events / seconds for name, seconds in best.items()}
    ratio = rates["segment"] / rates["native"]
    note = f"{rates['segment']:,.0f} vs {rates['native']:,.0f} events/s"
    return Figure("segment_batch_vs_native_batch", round(ratio, 3), ">= 0.8", note), {
        "segment_batch_events_per_second": round(rates["segment"]),
        "native_batch_events_per_second": round(rates["native"]),
    }


def _auth_figures(
    port: int, read_key: str, bearer: str, requests: int, rounds: int
) -> tuple[Figure, dict[str, Any]]:
    by_key = _Connection(port, {"Authorization": f"Bearer {read_key}"})
    by_token = _Connection(port, {"Authorization": f"Bearer {bearer}"})
    # One request with each in turn, timed apart: a machine busy with other work slows both.
    spent = {"key": 0.0, "token": 0.0}
    for _ in range(rounds * requests):
        for name, connection in (("key", by_key), ("token", by_token)):
            spent[name] += _timed(connection.gets, "/api/v1/streams", 1)
    best = {name: seconds / rounds for name, seconds in spent.items()}
    micros = {name: 1e6 * seconds / requests for name, seconds in best.items()}
    ratio = micros["key"] / micros["token"]
    note = f"{micros['key']:.0f} vs {micros['token']:.0f} µs a request"
    return Figure("api_key_auth_vs_token", round(ratio, 3), "<= 1.2", note), {
        "api_key_request_us": round(micros["key"]),
        "token_request_us": round(micros["token"]),
    }
