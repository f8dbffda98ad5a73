"""The webhook request itself (delivery/http.py) against a real socket server that answers
from a script, byte for byte: keep-alive, answers chunked, long, without a length, garbage or
never, 1xx, redirects, TLS verified against the URL's host, and the checked target reused
for a few seconds only. No database: these are the bytes on the wire."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from leadstreams.delivery import http
from leadstreams.delivery.http import Client, send
from leadstreams.delivery.targets import Target

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = '{"type":"lead.created","data":{"lead":{"id":1}}}'

# A handler reads requests from a connection and writes what the script says.
Handler = Callable[["Conn"], None]


class Conn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def request(self) -> tuple[bytes, dict[bytes, bytes], bytes] | None:
        """The next request's line, headers and body; None when the client closed."""
        while b"\r\n\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buffer += data
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        line, *fields = head.split(b"\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (f.partition(b":") for f in fields)}
        length = int(headers.get(b"content-length", b"0"))
        while len(self.buffer) < length:
            self.buffer += self.sock.recv(65536)
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return line, headers, body


class Server:
    """Accepts connections on 127.0.0.1 and runs `handler` on each, in a thread."""

    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None) -> None:
        self.handler, self.tls = handler, tls
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.requests: list[tuple[bytes, dict[bytes, bytes], bytes]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str = "/hook", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            self.handler(Conn(sock))
        except (OSError, ssl.SSLError):
            pass
        finally:
            sock.close()

    def close(self) -> None:
        self.listener.close()


Serve = Callable[..., Server]


@pytest.fixture
def serve() -> Iterator[Serve]:
    servers: list[Server] = []

    def start(handler: Handler, tls: ssl.SSLContext | None = None) -> Server:
        servers.append(Server(handler, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def answering(*answers: bytes, keep: bool = True) -> Handler:
    """Each request on a connection gets the next answer (the last one repeats)."""

    def handler(conn: Conn) -> None:
        n = 0
        while (request := conn.request()) is not None:
            server_requests.append(request)
            conn.sock.sendall(answers[min(n, len(answers) - 1)])
            n += 1
            if not keep:
                return

    server_requests: list[tuple[bytes, dict[bytes, bytes], bytes]] = []
    handler.requests = server_requests  # type: ignore[attr-defined]
    return handler


OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


def post(client: Client, url: str, n: int = 0) -> http.Outcome:
    return send(
        client, url=url, message_id=f"msg_{n}", body=BODY, secrets=[SECRET],
        at=datetime.now(UTC), allow_private=True,
    )  # fmt: skip


CLIENTS: list[Client] = []


def client(timeout: float = 5.0, ca_file: Path | None = None) -> Client:
    CLIENTS.append(Client(concurrency=8, timeout=timeout, ca_file=ca_file and str(ca_file)))
    return CLIENTS[-1]


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while CLIENTS:
        CLIENTS.pop().close()


def test_requests_are_signed_and_share_one_kept_alive_connection(serve: Serve) -> None:
    handler = answering(OK)
    server, sender = serve(handler), client()
    outcomes = [post(sender, server.url("/hook?x=1"), n) for n in range(5)]
    assert [o.status_code for o in outcomes] == [200] * 5 and outcomes[0].answer == "ok"
    assert server.connections == 1 and sender.opened == 1
    line, headers, body = handler.requests[3]
    assert line == b"POST /hook?x=1 HTTP/1.1" and body == BODY.encode()
    assert headers[b"host"] == f"127.0.0.1:{server.port}".encode()
    assert headers[b"content-type"] == b"application/json"
    as_received = {k.decode(): v.decode() for k, v in headers.items()}
    assert Webhook(SECRET).verify(body, as_received)["type"] == "lead.created"
    assert headers[b"webhook-id"] == b"msg_3"


def test_an_answer_that_closes_the_connection_is_not_reused(serve: Serve) -> None:
    closing = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"
    server, sender = serve(answering(closing, keep=False)), client()
    assert [post(sender, server.url()).status_code for _ in range(3)] == [200] * 3
    assert server.connections == 3


def test_a_chunked_answer_is_read_to_its_end_and_the_connection_kept(serve: Serve) -> None:
    chunked = (
        b"HTTP/1.1 202 Accepted\r\ntransfer-encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    server, sender = serve(answering(chunked)), client()
    first, second = post(sender, server.url()), post(sender, server.url())
    assert (first.status_code, first.answer) == (202, "abcde") and second.status_code == 202
    assert server.connections == 1


def test_only_the_first_kilobyte_of_a_long_answer_is_kept_and_read(serve: Serve) -> None:
    long = b"x" * 2_000_000  # more than one read: the rest is never read
    answer = b"HTTP/1.1 500 Oops\r\ncontent-length: %d\r\n\r\n%s" % (len(long), long)
    server, sender = serve(answering(answer)), client()
    outcome = post(sender, server.url())
    assert outcome.status_code == 500 and outcome.answer == "x" * 1024
    assert post(sender, server.url()).status_code == 500  # the first connection was not reused
    assert server.connections == 2


def test_an_answer_without_a_length_ends_when_the_connection_closes(serve: Serve) -> None:
    old = b"HTTP/1.0 503 Busy\r\nretry-after: 120\r\n\r\ncome back later"
    server, sender = serve(answering(old, keep=False)), client()
    outcome = post(sender, server.url())
    assert (outcome.status_code, outcome.answer, outcome.retry_after) == (
        503, "come back later", "120",
    )  # fmt: skip


def test_informational_answers_are_skipped_for_the_final_one(serve: Serve) -> None:
    server, sender = serve(answering(b"HTTP/1.1 100 Continue\r\n\r\n" + OK)), client()
    assert post(sender, server.url()).status_code == 200


def test_a_redirect_is_an_answer_not_followed(serve: Serve) -> None:
    handler = answering(b"HTTP/1.1 307 Moved\r\nlocation: /elsewhere\r\ncontent-length: 0\r\n\r\n")
    server, sender = serve(handler), client()
    assert post(sender, server.url()).status_code == 307
    assert len(handler.requests) == 1


def test_garbage_and_silence_are_no_answer(serve: Serve) -> None:
    garbage = serve(answering(b"SMTP ready\r\n\r\n"))
    outcome = post(client(), garbage.url())
    assert outcome.status_code is None and "HTTP/0.9" in (outcome.error or "")
    hung_up = serve(lambda conn: conn.request() and None)
    outcome = post(client(), hung_up.url())
    assert (outcome.status_code, outcome.error) == (None, "curl error 52: Empty reply from server")
    release = threading.Event()
    silent = serve(lambda conn: conn.request() and release.wait(10) and None)
    outcome = post(client(timeout=0.3), silent.url())
    release.set()
    assert (outcome.status_code, outcome.error) == (None, "timed out")
    assert 250 <= outcome.duration_ms < 5000


def test_refused_connections_are_no_answer() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nobody listens once closed
    outcome = post(client(), f"http://127.0.0.1:{port}/hook")
    assert outcome.status_code is None and "(Connection refused)" in (outcome.error or "")


def test_a_kept_alive_connection_the_receiver_closed_is_replaced(serve: Serve) -> None:
    def one_then_close(conn: Conn) -> None:  # keep-alive promised, then closed while idle
        if conn.request() is not None:
            conn.sock.sendall(OK)
        conn.sock.close()

    server, sender = serve(one_then_close), client()
    assert [post(sender, server.url(), n).status_code for n in range(3)] == [200] * 3
    assert server.connections == 3


def test_the_checked_target_is_reused_for_seconds_then_checked_again(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolved: list[str] = []
    real = http.resolve

    def counting(url: str, *, allow_private: bool) -> Target:
        resolved.append(url)
        return real(url, allow_private=allow_private)

    monkeypatch.setattr(http, "resolve", counting)
    server, sender = serve(answering(OK)), client()
    for n in range(3):
        post(sender, server.url(), n)
    assert len(resolved) == 1
    monkeypatch.setattr(http, "CHECKED_FOR_SECONDS", 0.0)
    post(sender, server.url())
    assert len(resolved) == 2
    strict = send(
        sender, url=server.url(), message_id="msg_x", body=BODY, secrets=[SECRET],
        at=datetime.now(UTC), allow_private=False,
    )  # fmt: skip
    assert strict.status_code is None and (strict.error or "").startswith("refused")


def _certificate(folder: Path, name: str) -> tuple[Path, Path]:
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={name}", "-addext", f"subjectAltName=IP:{name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


def test_tls_is_verified_against_the_urls_host(serve: Serve, tmp_path: Path) -> None:
    key, cert = _certificate(tmp_path, "127.0.0.1")
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    server = serve(answering(OK), tls=server_side)
    sender = client(ca_file=cert)
    assert [post(sender, server.url(scheme="https"), n).status_code for n in range(2)] == [200] * 2
    assert server.connections == 1
    other_key, other_cert = _certificate(tmp_path, "127.0.0.2")  # valid, for another host
    other_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    other_side.load_cert_chain(other_cert, other_key)
    impostor = serve(answering(OK), tls=other_side)
    outcome = post(client(ca_file=other_cert), impostor.url(scheme="https"))
    assert outcome.status_code is None and "no alternative certificate subject name matches" in (
        outcome.error or ""
    )
    outcome = post(client(), server.url(scheme="https"))  # the default bundle: not trusted
    assert outcome.status_code is None and "self-signed" in (outcome.error or "")
    assert (outcome.error or "").startswith("curl error 60: SSL certificate")
