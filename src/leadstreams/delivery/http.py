"""One webhook request: signed per Standard Webhooks, sent to a checked address, timed."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import httpx2 as httpx
from standardwebhooks import Webhook

from leadstreams.delivery.targets import pinned_url, resolve
from leadstreams.domain.webhooks import ANSWER_KEPT_BYTES, UnsafeTarget


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None  # None: no answer
    error: str | None
    duration_ms: int
    answer: str | None  # the first 1 KB
    retry_after: str | None  # the header, as sent


def signature(*, secrets: list[str], message_id: str, at: datetime, body: str) -> str:
    """`v1,<base64>` per secret, space-separated: during a rotation both secrets sign, and a
    receiver holding either one verifies."""
    return " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets)


def make_client(*, concurrency: int, timeout: float) -> httpx.Client:
    """Shared by the sender's threads. Redirects are not followed (a 3xx is an answer), and
    the environment's proxies are not used: they would reach what the address check refused."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )


def send(
    client: httpx.Client,
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
        headers = {
            "content-type": "application/json",
            "user-agent": "Leadstreams-Webhooks/1",
            "host": target.host_header,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature(
                secrets=secrets, message_id=message_id, at=at, body=body
            ),
        }
        request = client.build_request(
            "POST",
            pinned_url(target),
            content=body.encode(),
            headers=headers,
            extensions={"sni_hostname": target.host},
        )
        answer = client.send(request, stream=True)  # only the answer's first 1 KB is read
        try:
            kept = _first_bytes(answer)
        finally:
            answer.close()
    except UnsafeTarget as error:
        return Outcome(None, f"refused: {error}", _ms(started), None, None)
    except httpx.TimeoutException:
        return Outcome(None, "timed out", _ms(started), None, None)
    except httpx.HTTPError as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:500], _ms(started), None, None)
    text = kept.decode("utf-8", errors="replace")
    return Outcome(answer.status_code, None, _ms(started), text, answer.headers.get("retry-after"))


def _first_bytes(answer: httpx.Response) -> bytes:
    kept = b""
    for chunk in answer.iter_bytes():
        kept += chunk
        if len(kept) >= ANSWER_KEPT_BYTES:
            break
    return kept[:ANSWER_KEPT_BYTES]


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
