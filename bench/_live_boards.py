"""The live boards of `bench.lead_board`: N open boards, each as `static/board.js` behaves.

Each board holds the lead feed open (`GET /live/leads`, server-sent events, by session
cookie) and answers what it hears as the page does: a lead it does not show that arrives
with more than a column's worth of others waits behind the "N new leads" button (no
request); a few are fetched as cards (`GET /leads/cards?id=...`, one request at a time, at
most every 0.5 s); a new, matched or cleared lead refreshes the streams box, which fetches
the board page at most once a second. One asyncio thread, raw HTTP/1.1 on loopback.

Orders as JSON on stdin (port, cookies, boards, after); prints "ready" once every feed
answered, runs until stdin closes and the feeds have gone quiet, then prints what the
boards heard and asked as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys

GAP = 0.5  # board.js: card batches at most every GAP seconds
BOX_DELAY = 1.0  # board.js: the streams box at most once a second
MANY = 25  # board.js: a column's limit; more new leads than this wait behind a button
REFRESHING = {"lead.created", "lead.matched", "lead.cleared", "stream.changed"}


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return int(lines[0].split()[1]), await reader.readexactly(length)


class Board:
    def __init__(self, port: int, cookie: str, after: str, counts: dict[str, int]) -> None:
        self.port, self.cookie, self.after, self.counts = port, cookie, after, counts
        self.pending: set[str] = set()
        self.box_due = False
        self.waiting = 0  # leads behind the button: later ones join them (board.js)
        self.fetcher: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def _head(self, path: str) -> bytes:
        return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {self.cookie}\r\n"
                "\r\n").encode()  # fmt: skip

    async def get(self, path: str) -> None:
        """One request on the board's keep-alive connection (as a browser reuses one)."""
        self.counts["sent"] += 1
        for attempt in (1, 2):  # a keep-alive connection the server closed: once more, anew
            if self.fetcher is None:
                self.fetcher = await asyncio.open_connection("127.0.0.1", self.port)
            reader, writer = self.fetcher
            try:
                writer.write(self._head(path))
                status, _ = await _answer(reader)
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                self.fetcher = None
                if attempt == 2:
                    raise
        self.counts["requests"] += 1  # answered
        if status >= 300:
            self.counts["failed"] += 1

    async def listen(self, ready: asyncio.Event, opened: list[int], total: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(self._head(f"/live/leads?after={self.after}"))
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n")[0]:
            raise SystemExit(f"the live feed refused a board: {head[:80]!r}")
        opened.append(1)
        if len(opened) == total:
            ready.set()
        buffer = b""
        while True:  # chunked transfer: size line, data, CRLF
            size = int((await reader.readline()).strip() or b"0", 16)
            if size == 0:
                return  # the feed ended (feed_seconds); the run is shorter than that
            buffer += await reader.readexactly(size + 2)
            *events, buffer = buffer.replace(b"\r\n", b"\n").split(b"\n\n")
            for event in events:
                self._heard(event)

    def _heard(self, event: bytes) -> None:
        fields = dict(line.split(": ", 1) for line in event.decode().splitlines() if ": " in line)
        topic = fields.get("event")
        if topic is None:
            return
        self.counts["heard"] += 1
        if topic in REFRESHING:
            self.box_due = True
        lead_id = json.loads(fields.get("data", "{}")).get("lead_id")
        if lead_id is not None:
            self.pending.add(str(lead_id))

    async def work(self) -> None:
        """The page's timers: a batch of cards every GAP, the streams box every BOX_DELAY."""
        since_box = 0.0
        while True:
            await asyncio.sleep(GAP)
            since_box += GAP
            ids, self.pending = sorted(self.pending), set()
            if self.waiting or len(ids) > MANY:
                self.waiting += len(ids)  # behind the "N new leads" button
                self.counts["waiting"] += len(ids)
            elif ids:
                await self.get("/leads/cards?" + "&".join(f"id={i}" for i in ids))
            if self.box_due and since_box >= BOX_DELAY:
                self.box_due, since_box = False, 0.0
                await self.get("/leads/streams")  # the box alone (board.js)


async def _settled(counts: dict[str, int], quiet: float = 2.0, longest: float = 60.0) -> None:
    """Until the boards have heard nothing new for `quiet` seconds (the feed polls every
    0.5 s): a short phase's ingestion can end before the feed first reads what it made."""
    loop = asyncio.get_running_loop()
    ends, heard, changed = loop.time() + longest, counts["heard"], loop.time()
    while loop.time() < ends and (counts["heard"] == 0 or loop.time() - changed < quiet):
        await asyncio.sleep(0.1)
        if counts["heard"] != heard:
            heard, changed = counts["heard"], loop.time()


async def main() -> None:
    orders = json.loads(sys.stdin.readline())
    counts = {"heard": 0, "sent": 0, "requests": 0, "failed": 0, "waiting": 0}
    cookies: list[str] = orders["cookies"]
    boards = [Board(orders["port"], cookies[k % len(cookies)], orders["after"], counts)
              for k in range(orders["boards"])]  # fmt: skip
    ready, opened = asyncio.Event(), []
    tasks = [asyncio.create_task(b.listen(ready, opened, len(boards))) for b in boards]
    await asyncio.wait_for(ready.wait(), 120)
    tasks += [asyncio.create_task(b.work()) for b in boards]
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes stdin
    await _settled(counts)
    broken = [t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception()]
    if broken:
        raise SystemExit(f"a live board failed: {broken[0]!r}")
    for task in tasks:
        task.cancel()
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
