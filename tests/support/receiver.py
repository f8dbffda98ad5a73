"""A real HTTP server that receives webhooks, started by the test that needs it.

It answers from a script (`fail_next`: the next answers' status codes, then 200), keeps what
it accepted with a 2xx, and can go down and come back on the same port (connection refused
meanwhile) or hold requests unanswered (`hold`).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HELD = 599  # the status recorded (and answered) for a request that was held


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


class Receiver:
    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.script: deque[tuple[int, dict[str, str]]] = deque()
        self.received: list[Received] = []  # every request, whatever the answer
        self.release = threading.Event()  # held requests are answered once set
        self.release.set()
        self.held = threading.Event()  # a request is being held
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def answer_next(
        self, status: int, headers: dict[str, str] | None = None, times: int = 1
    ) -> None:
        for _ in range(times):
            self.script.append((status, headers or {}))

    def hold(self) -> None:
        """Hold the next requests unanswered until `release` is set."""
        self.release.clear()

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                held = not receiver.release.is_set()
                if held:  # its sender may be gone by the time it is answered: not accepted
                    receiver.held.set()
                    receiver.release.wait(30)
                with receiver._lock:
                    status, headers = receiver.script.popleft() if receiver.script else (200, {})
                    status = HELD if held else status
                    receiver.received.append(Received(dict(self.headers), body, status))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: connections to the port are refused until `start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
