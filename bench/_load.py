"""The load process of `bench.http`: POSTs events at a fixed rate, prints the latencies.

Open loop: request j is due at start + j / rate whatever happened before, and its latency
counts from that moment, so a server that falls behind shows it (no coordinated omission).
Reads its orders as JSON on stdin; writes JSON on stdout. Loopback only; bounded by its count.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from typing import Any

THREADS = 48


def _worker(
    orders: dict[str, Any], events: list[dict[str, Any]], out: list[Any], lane: int
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", orders["port"], timeout=30)
    headers = {"Authorization": f"Bearer {orders['token']}", "Content-Type": "application/json"}
    start, rate = orders["start"], orders["rate"]
    for j in range(lane, len(events), THREADS):
        due = start + j / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        connection.request("POST", "/api/v1/events", json.dumps(events[j]), headers)
        response = connection.getresponse()
        body = json.loads(response.read())
        done = time.perf_counter()
        leads = [m["lead_id"] for m in body.get("matches", [])]
        out[j] = (response.status, done - due, leads, done)
    connection.close()


def main() -> None:
    orders = json.load(sys.stdin)
    events = orders["events"]
    out: list[Any] = [None] * len(events)
    orders["start"] = time.perf_counter() + 0.2
    lanes = [
        threading.Thread(target=_worker, args=(orders, events, out, k)) for k in range(THREADS)
    ]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()
    elapsed = max(row[3] for row in out) - orders["start"]
    json.dump({"results": [row[:3] for row in out], "elapsed": elapsed}, sys.stdout)


if __name__ == "__main__":
    main()
