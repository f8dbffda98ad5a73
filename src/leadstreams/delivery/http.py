"""One webhook request: signed per Standard Webhooks, sent to a checked address, timed.

Sent with libcurl (pycurl): a webhook is one POST of a body we made, and the sender shares
one interpreter lock with ingestion, so its CPU per request counts (docs/performance.md).
Through httpcore and h11, pure Python, a request cost ~0.8 ms of CPU; through libcurl ~0.12 ms.
Each sender thread has its own handle, which keeps its connections alive between requests.
Redirects are not followed (a 3xx is an answer like any other), no proxy is read from the
environment, and only http and https are spoken.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from urllib.parse import quote, urlsplit

import certifi
import pycurl
from standardwebhooks import Webhook

from leadstreams.delivery.targets import resolve
from leadstreams.domain.webhooks import ANSWER_KEPT_BYTES, UnsafeTarget

USER_AGENT = "Leadstreams-Webhooks/1"
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


@dataclass(frozen=True, slots=True)
class Route:
    """A URL's checked target, and the URL libcurl is given for it."""

    url: str  # rebuilt from what was checked: libcurl never parses the URL as written
    connect_to: str  # libcurl's CONNECT_TO entry: whatever the host, the checked address
    checked_at: float  # monotonic


def route(url: str, *, allow_private: bool) -> Route:
    """The URL resolved and every address it has checked now (UnsafeTarget if refused)."""
    target = resolve(url, allow_private=allow_private)
    host = _ascii(target.host_header)
    if not host.isprintable():  # no header of ours may end early
        raise UnsafeTarget("a control character in the host")
    scheme = urlsplit(url).scheme
    port = target.port or (443 if scheme == "https" else 80)
    address = f"[{target.address}]" if ":" in target.address else target.address
    return Route(
        f"{scheme}://{host}{_request_target(url)}", f"::{address}:{port}", time.monotonic()
    )


class Client:
    """The sender's libcurl handles, one per thread (a handle is not shared between threads):
    each keeps its connections alive between requests. `timeout` bounds a whole request."""

    def __init__(self, *, concurrency: int, timeout: float, ca_file: str | None = None) -> None:
        self.timeout_ms = round(timeout * 1000)
        self.keep = concurrency
        self.ca_file = ca_file or certifi.where()
        self.opened = 0  # connections opened so far (keep-alive shows as few)
        self._local = threading.local()
        self._handles: list[pycurl.Curl] = []
        self._lock = threading.Lock()
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

    def handle(self) -> pycurl.Curl:
        """This thread's handle, made on first use with what every request shares."""
        curl: pycurl.Curl | None = getattr(self._local, "curl", None)
        if curl is None:
            curl = pycurl.Curl()
            curl.setopt(pycurl.NOSIGNAL, 1)  # threads: no SIGALRM for timeouts
            curl.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
            curl.setopt(pycurl.FOLLOWLOCATION, 0)
            curl.setopt(pycurl.PROXY, "")  # never a proxy from the environment
            curl.setopt(pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_1_1)
            curl.setopt(pycurl.CAINFO, self.ca_file)  # as httpx verifies: certifi's bundle
            curl.setopt(pycurl.TIMEOUT_MS, self.timeout_ms)
            curl.setopt(pycurl.CONNECTTIMEOUT_MS, self.timeout_ms)
            curl.setopt(pycurl.MAXCONNECTS, self.keep)
            curl.setopt(pycurl.USERAGENT, USER_AGENT)
            with self._lock:
                self._handles.append(curl)
            self._local.curl = curl
        return curl

    def counted(self, curl: pycurl.Curl) -> None:
        with self._lock:
            self.opened += curl.getinfo(pycurl.NUM_CONNECTS)

    def close(self) -> None:
        with self._lock:
            handles, self._handles = self._handles, []
        for curl in handles:
            curl.close()


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
    except UnsafeTarget as error:
        return Outcome(None, f"refused: {error}", _ms(started), None, None)
    signed = signature(secrets=secrets, message_id=message_id, at=at, body=body)
    answer = _Answer()
    curl = client.handle()
    curl.setopt(pycurl.URL, route.url)
    curl.setopt(pycurl.CONNECT_TO, [route.connect_to])
    curl.setopt(pycurl.HTTPHEADER, [
        "Content-Type: application/json",
        f"webhook-id: {message_id}",
        f"webhook-timestamp: {int(at.timestamp())}",
        f"webhook-signature: {signed}",
        "Expect:",  # no 100-continue round trip before a large body
    ])  # fmt: skip
    curl.setopt(pycurl.POSTFIELDS, body.encode())
    curl.setopt(pycurl.HEADERFUNCTION, answer.header)
    curl.setopt(pycurl.WRITEFUNCTION, answer.body)
    try:
        curl.perform()
    except pycurl.error as error:
        code, message = cast(tuple[int, str], error.args)  # (libcurl code, its message)
        if not (code == pycurl.E_WRITE_ERROR and answer.cut):
            client.counted(curl)
            if code == pycurl.E_OPERATION_TIMEDOUT:
                return Outcome(None, "timed out", _ms(started), None, None)
            errno = curl.getinfo(pycurl.OS_ERRNO)  # e.g. "Connection refused", which curl omits
            reason = f" ({os.strerror(errno)})" if errno else ""
            error_text = f"curl error {code}: {message}{reason}"[:500]
            return Outcome(None, error_text, _ms(started), None, None)
    client.counted(curl)
    text = bytes(answer.kept).decode("utf-8", errors="replace").replace("\x00", "\ufffd")  # PG text
    return Outcome(curl.getinfo(pycurl.RESPONSE_CODE), None, _ms(started), text, answer.retry_after)


class _Answer:
    """libcurl's callbacks for one answer: its Retry-After and the body's first 1 KB (a longer
    body is not read further: the transfer stops there and its connection is closed)."""

    def __init__(self) -> None:
        self.kept = bytearray()
        self.cut = False
        self.retry_after: str | None = None

    def header(self, line: bytes) -> None:
        if line.startswith(b"HTTP/"):  # an answer's first line: a 1xx's headers are not its
            self.retry_after = None
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"retry-after":
            self.retry_after = value.strip().decode("latin-1")

    def body(self, data: bytes) -> int | None:
        room = ANSWER_KEPT_BYTES - len(self.kept)
        self.kept += data[:room]
        if len(data) > room:
            self.cut = True
            return 0  # stop: libcurl ends the transfer with a write error
        return None


def _request_target(url: str) -> str:
    """The path and query as sent on the request line, percent-encoded where not ASCII."""
    parts = urlsplit(url)
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    return path if not parts.query else f"{path}?{quote(parts.query, safe='/%:@!$&()*+,;=?-._~')}"


def _ascii(host: str) -> str:
    return host if host.isascii() else host.encode("idna").decode("ascii")


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
