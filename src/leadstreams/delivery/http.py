"""One webhook request: signed per Standard Webhooks, sent to a checked address, timed.

Sent with httpcore, the connection pool under httpx, without httpx's client layer (its
URL merging, cookies, auth, redirect and event-hook steps, none of which a webhook uses):
that layer cost a third of each request's CPU, and the sender shares one interpreter lock
with ingestion (docs/performance.md). httpcore follows no redirects and reads no proxies
from the environment.
"""

from __future__ import annotations

import functools
import ssl
import time
from dataclasses import dataclass
from datetime import datetime

import httpcore2 as httpcore
import httpx2 as httpx
from standardwebhooks import Webhook

from leadstreams.delivery.targets import pinned_url, resolve
from leadstreams.domain.webhooks import ANSWER_KEPT_BYTES, UnsafeTarget

_NO_ANSWER = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
)


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
    """As httpx verifies, made once per process: loading the CA bundle takes tens of ms,
    and a context is safe to share between pools and threads."""
    return httpx.create_ssl_context(trust_env=False)


class Client:
    """A pool of keep-alive connections shared by the sender's threads, and the timeout of
    each request (connect, each read and write, and the wait for a free connection)."""

    def __init__(self, *, concurrency: int, timeout: float) -> None:
        self.pool = httpcore.ConnectionPool(
            ssl_context=_tls(),
            max_connections=concurrency,
            max_keepalive_connections=concurrency,
        )
        self.timeout = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}

    def close(self) -> None:
        self.pool.close()


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
        target = resolve(url, allow_private=allow_private)
        content = body.encode()
        signed = signature(secrets=secrets, message_id=message_id, at=at, body=body)
        headers = [
            (b"host", _ascii(target.host_header)),
            (b"user-agent", b"Leadstreams-Webhooks/1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
            (b"webhook-id", message_id.encode()),
            (b"webhook-timestamp", str(int(at.timestamp())).encode()),
            (b"webhook-signature", signed.encode()),
        ]
        extensions = {"timeout": client.timeout, "sni_hostname": target.host}
        with client.pool.stream(
            "POST", pinned_url(target), headers=headers, content=content, extensions=extensions
        ) as answer:  # only the answer's first 1 KB is read
            kept = _first_bytes(answer)
    except UnsafeTarget as error:
        return Outcome(None, f"refused: {error}", _ms(started), None, None)
    except httpcore.TimeoutException:
        return Outcome(None, "timed out", _ms(started), None, None)
    except _NO_ANSWER as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:500], _ms(started), None, None)
    text = kept.decode("utf-8", errors="replace")
    retry_after = _header(answer, b"retry-after")
    return Outcome(answer.status, None, _ms(started), text, retry_after)


def _first_bytes(answer: httpcore.Response) -> bytes:
    kept = b""
    for chunk in answer.iter_stream():
        kept += chunk
        if len(kept) >= ANSWER_KEPT_BYTES:
            break
    return kept[:ANSWER_KEPT_BYTES]


def _header(answer: httpcore.Response, name: bytes) -> str | None:
    for key, value in answer.headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _ascii(host: str) -> bytes:
    return host.encode("ascii") if host.isascii() else host.encode("idna")


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
