"""The webhook receiver of `bench.webhooks`, a process of its own: answers every POST 200 at
once (keep-alive), keeps each one's arrival time and `webhook-id`, and answers `GET /stats`
with them as JSON (the arrival times by the e-mail of the lead's contact, for latencies);
`GET /count` answers only how many arrived and how many distinct `webhook-id`s (cheap to poll).

Run as `python -m bench._receiver PORT`; prints "ready" when it listens.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

ARRIVED: list[tuple[float, bytes, bytes]] = []  # (time, webhook-id, body)
DISTINCT: set[bytes] = set()  # webhook-ids
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


def _answer(document: object) -> bytes:
    body = json.dumps(document).encode()
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)


def _count() -> bytes:
    return _answer({"count": len(ARRIVED), "distinct": len(DISTINCT)})


def _stats() -> bytes:
    emails = {}
    for at, _, body in ARRIVED:
        lead = json.loads(body)["data"]["lead"]
        emails.setdefault(lead["contact"]["email"], at)
    ids = [message_id.decode() for _, message_id, _ in ARRIVED]
    return _answer({"count": len(ARRIVED), "ids": ids, "first_arrival": emails})


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length, message_id = 0, b""
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"webhook-id":
                    message_id = value.strip()
            body = await reader.readexactly(length) if length else b""
            if head.startswith(b"GET /stats"):
                writer.write(_stats())
            elif head.startswith(b"GET /count"):
                writer.write(_count())
            else:
                ARRIVED.append((time.time(), message_id, body))
                DISTINCT.add(message_id)
                writer.write(OK)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", port, backlog=256)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
