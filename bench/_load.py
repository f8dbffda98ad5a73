"""The load process of `bench.http`: POSTs events at a fixed rate, prints the latencies.

Open loop: request j is due at start + j / rate whatever happened before, and its latency
counts from that moment, so a server that falls behind shows it (no coordinated omission).
48 keep-alive connections ("lanes"), request j on lane j % 48; one asyncio thread whose
requests are encoded before the start, so that the load takes little of the CPU the server
shares with it. Reads its orders as JSON on stdin; writes JSON on stdout. Loopback only;
bounded by its count.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

LANES = 48


def encode(orders: dict[str, Any], event: dict[str, Any]) -> bytes:
    body = json.dumps(event).encode()
    head = (
        f"POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{orders['port']}\r\n"
        f"Authorization: Bearer {orders['token']}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


class _Lane:
    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):  # a keep-alive connection the server closed: once more, anew
            if self.streams is None:
                self.streams = await asyncio.open_connection("127.0.0.1", self.port)
            reader, writer = self.streams
            try:
                writer.write(request)
                return await _answer(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                self.streams = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()


async def _run(orders: dict[str, Any], requests: list[bytes], out: list[Any], k: int) -> None:
    lane = _Lane(orders["port"])
    start, rate = orders["start"], orders["rate"]
    try:
        for j in range(k, len(requests), LANES):
            due = start + j / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            status, body = await lane.send(requests[j])
            done = time.perf_counter()
            answer = json.loads(body) if status < 300 else {}
            leads = [m["lead_id"] for m in answer.get("matches", [])]
            out[j] = (status, done - due, leads, done)
    finally:
        lane.close()


async def _main(orders: dict[str, Any]) -> dict[str, Any]:
    requests = [encode(orders, event) for event in orders["events"]]
    out: list[Any] = [None] * len(requests)
    orders["start"] = time.perf_counter() + 0.2
    await asyncio.gather(*(_run(orders, requests, out, k) for k in range(LANES)))
    elapsed = max(row[3] for row in out) - orders["start"]
    return {"results": [row[:3] for row in out], "elapsed": elapsed}


def main() -> None:
    orders = json.load(sys.stdin)
    json.dump(asyncio.run(_main(orders)), sys.stdout)


if __name__ == "__main__":
    main()
