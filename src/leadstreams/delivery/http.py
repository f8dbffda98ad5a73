"""One webhook request: signed per Standard Webhooks, sent to a checked address, timed.

A webhook is one POST of a body we made, to an address we checked, with nothing of a general
HTTP client in use: no redirects, proxies, cookies, auth, compression or streaming uploads.
So the request is written to a plain socket (kept alive between requests) and the answer is
parsed by httptools (llhttp, in C: the parser `uvicorn[standard]` already runs for our
server). Through httpcore's pool and h11, pure Python, a request cost ~0.9 ms of CPU; this way
~0.15 ms, signature included, on a sender whose CPU per event had been three times
ingestion's (docs/performance.md, 2026-12-04).
Redirects are not followed (a 3xx is an answer like any other) and no proxy is read from the
environment: there is no code that would.
"""

from __future__ import annotations

import functools
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

import httptools
import httpx2 as httpx
from standardwebhooks import Webhook

from leadstreams.delivery.targets import Target, resolve
from leadstreams.domain.webhooks import ANSWER_KEPT_BYTES, UnsafeTarget

USER_AGENT = "Leadstreams-Webhooks/1"
READ_BYTES = 65_536
CHECKED_FOR_SECONDS = 5.0  # a target's resolution and check, reused this long (Client.route)
ROUTES_KEPT = 1_024


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None  # None: no answer
    error: str | None
    duration_ms: int
    answer: str | None  # the first 1 KB
    retry_after: str | None  # the header, as sent


@functools.lru_cache(maxsize=256)
def _signer(secret: str) -> Webhook:
    """One `Webhook` per secret, not one per request (it decodes the secret when made)."""
    return Webhook(secret)


def signature(*, secrets: list[str], message_id: str, at: datetime, body: str) -> str:
    """`v1,<base64>` per secret, space-separated: during a rotation both secrets sign, and a
    receiver holding either one verifies."""
    return " ".join(_signer(secret).sign(message_id, at, body) for secret in secrets)


@functools.cache
def _tls() -> ssl.SSLContext:
    """As httpx verifies (its CA bundle, hostname checks), made once per process: loading the
    CA bundle takes tens of ms, and a context is safe to share between threads."""
    return httpx.create_ssl_context(trust_env=False)


# Where a connection goes: scheme, the checked address, the port, and the URL's host (the TLS
# server name, and part of the key so that two names on one address never share a session).
Origin = tuple[str, str, int, str]


@dataclass(frozen=True, slots=True)
class Route:
    """A URL's checked target, and what a request to it is made of."""

    origin: Origin
    request_target: str  # the path and query, as on the request line
    host_header: str
    checked_at: float  # monotonic


def route(url: str, *, allow_private: bool) -> Route:
    """The URL resolved and every address it has checked now (UnsafeTarget if refused)."""
    target = resolve(url, allow_private=allow_private)
    host_header = _ascii(target.host_header)
    if not host_header.isprintable():  # no header of ours may end early
        raise UnsafeTarget("a control character in the host")
    origin = _origin(target)
    return Route(origin, _request_target(url), host_header, time.monotonic())


class NoAnswer(Exception):
    """The receiver closed the connection or sent something that is not an HTTP answer."""


class Client:
    """Keep-alive connections shared by the sender's threads: a thread takes an idle one to
    its target's address (or opens one), uses it alone for one request, and gives it back.
    The sender's threads bound the connections in use; at most `concurrency` idle ones are
    kept per origin. `timeout` bounds the connect and each read and write."""

    def __init__(
        self, *, concurrency: int, timeout: float, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.timeout = timeout
        self.keep = concurrency
        self._ssl_context = ssl_context
        self._idle: dict[Origin, list[socket.socket]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.opened = 0  # connections opened so far (keep-alive shows as few)
        self._routes: dict[tuple[str, bool], Route] = {}

    def route(self, url: str, *, allow_private: bool) -> Route:
        """The URL's target, checked within the last `CHECKED_FOR_SECONDS`: resolving and
        checking before every request cost as much CPU as the request. A request still only
        ever goes to an address that was checked (DNS rebinding gains nothing): a name that
        resolves elsewhere meanwhile is sent to the address checked, for a few seconds more.
        A refusal is not kept: the next attempt checks again."""
        key = (url, allow_private)
        found = self._routes.get(key)
        if found is None or time.monotonic() - found.checked_at > CHECKED_FOR_SECONDS:
            found = route(url, allow_private=allow_private)
            with self._lock:
                if len(self._routes) >= ROUTES_KEPT:
                    self._routes.clear()
                self._routes[key] = found
        return found

    def connection(self, origin: Origin) -> tuple[socket.socket, bool]:
        """An idle connection to `origin` still open (True: reused), or a new one."""
        with self._lock:
            idle = self._idle.get(origin)
            while idle:
                sock = idle.pop()
                if _still_open(sock):
                    return sock, True
                sock.close()
        return self.open(origin), False

    def open(self, origin: Origin) -> socket.socket:
        scheme, address, port, host = origin
        sock = socket.create_connection((address, port), timeout=self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":  # verified against the URL's host, not the address
                context = self._ssl_context or _tls()
                sock = context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        with self._lock:
            self.opened += 1
        return sock

    def give_back(self, origin: Origin, sock: socket.socket) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if not self._closed and len(idle) < self.keep:
                idle.append(sock)
                return
        sock.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for socks in idle.values():
            for sock in socks:
                sock.close()


def make_client(*, concurrency: int, timeout: float) -> Client:
    return Client(concurrency=concurrency, timeout=timeout)


def send(
    client: Client,
    *,
    url: str,
    message_id: str,
    body: str,
    secrets: list[str],
    at: datetime,
    allow_private: bool,
) -> Outcome:
    started = time.perf_counter()
    try:
        route = client.route(url, allow_private=allow_private)
        content = body.encode()
        signed = signature(secrets=secrets, message_id=message_id, at=at, body=body)
        head = (
            f"POST {route.request_target} HTTP/1.1\r\n"
            f"host: {route.host_header}\r\n"
            f"user-agent: {USER_AGENT}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(content)}\r\n"
            f"webhook-id: {message_id}\r\n"
            f"webhook-timestamp: {int(at.timestamp())}\r\n"
            f"webhook-signature: {signed}\r\n\r\n"
        )
        answer = _request(client, route.origin, head.encode("ascii") + content)
    except UnsafeTarget as error:
        return Outcome(None, f"refused: {error}", _ms(started), None, None)
    except TimeoutError:
        return Outcome(None, "timed out", _ms(started), None, None)
    except (OSError, NoAnswer, httptools.HttpParserError) as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:500], _ms(started), None, None)
    text = answer.kept.decode("utf-8", errors="replace").replace("\x00", "\ufffd")  # PG text
    return Outcome(answer.status, None, _ms(started), text, answer.retry_after)


def _request(client: Client, origin: Origin, request: bytes) -> Answer:
    """The answer, on a kept-alive connection when one is idle. A kept-alive connection the
    receiver closed just as the request went out (it answered nothing) is retried once on a
    new one: at least once allows a repeat, and the receiver de-duplicates by webhook-id."""
    sock, reused = client.connection(origin)
    try:
        answer = _exchange(sock, request)
    except (NoAnswer, BrokenPipeError, ConnectionResetError):
        sock.close()
        if not reused:
            raise
        sock = client.open(origin)
        try:
            answer = _exchange(sock, request)
        except BaseException:
            sock.close()
            raise
    except BaseException:
        sock.close()
        raise
    if answer.reusable:
        client.give_back(origin, sock)
    else:
        sock.close()
    return answer


class Answer:
    """httptools' callbacks for one answer: its status, Retry-After, the body's first 1 KB."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.status: int | None = None
        self.retry_after: str | None = None
        self.kept = b""
        self.complete = False
        self.keep_alive = False
        self.reusable = False

    def on_message_begin(self) -> None:
        self.status, self.retry_after, self.kept = None, None, b""

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"retry-after":
            self.retry_after = value.decode("latin-1")

    def on_headers_complete(self) -> None:  # (llhttp forgets keep-alive once complete)
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        if len(self.kept) < ANSWER_KEPT_BYTES:
            self.kept = (self.kept + body)[:ANSWER_KEPT_BYTES]

    def on_message_complete(self) -> None:
        if self.status is not None and self.status >= 200:  # 1xx: the answer comes after it
            self.complete = True


def _exchange(sock: socket.socket, request: bytes) -> Answer:
    """Send the request and read its answer: to its end (the connection may then be kept), or
    until the first 1 KB of a longer body is in hand (the rest is not read: the connection is
    closed)."""
    sock.sendall(request)
    answer = Answer()
    while not answer.complete:
        data = sock.recv(READ_BYTES)
        if not data:  # closed by the receiver: the end of a body without a length, or no answer
            if answer.status is None:
                raise NoAnswer("the receiver closed the connection without answering")
            return answer
        answer.parser.feed_data(data)
        if not answer.complete and len(answer.kept) >= ANSWER_KEPT_BYTES:
            return answer
    answer.reusable = answer.keep_alive
    return answer


def _still_open(sock: socket.socket) -> bool:
    """An idle kept-alive connection has nothing to read unless the receiver closed it."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return not poller.poll(0)


def _origin(target: Target) -> Origin:
    scheme = urlsplit(target.url).scheme
    port = target.port or (443 if scheme == "https" else 80)
    return scheme, target.address, port, target.host


def _request_target(url: str) -> str:
    """The path and query as sent on the request line, percent-encoded where not ASCII."""
    parts = urlsplit(url)
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    return path if not parts.query else f"{path}?{quote(parts.query, safe='/%:@!$&()*+,;=?-._~')}"


def _ascii(host: str) -> str:
    return host if host.isascii() else host.encode("idna").decode("ascii")


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
