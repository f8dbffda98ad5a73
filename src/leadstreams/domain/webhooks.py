"""Webhook delivery's rules as pure functions (product spec rule 10, api.md "Webhook
deliveries"): what a target may be, what an answer means, and when to try again."""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

# The delay before the n-th retry (about 5 s, 30 s, 2 min, 10 min, 30 min, 1 h), then every
# 2 h until the delivery gives up.
RETRY_SCHEDULE = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
RETRY_EVERY_LATER = 7200.0
JITTER = 0.2  # each delay is drawn from +-20% of its nominal value, so receivers are not stampeded
# An answer's text kept with its attempt, for the delivery log.
ANSWER_KEPT_BYTES = 1024


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Verdict(StrEnum):
    """What one attempt's outcome means for the delivery."""

    DELIVERED = "delivered"  # any 2xx
    RETRY = "retry"  # network error, timeout, 429, 5xx
    GONE = "gone"  # 410: the receiver asks us to stop; the subscription is disabled
    REFUSED = "refused"  # any other answer (3xx not followed, 4xx): failed without retries


def verdict(status_code: int | None) -> Verdict:
    """None: no answer (connection refused, timeout, a target refused at send time)."""
    if status_code is None or status_code == 429 or status_code >= 500:
        return Verdict.RETRY
    if 200 <= status_code < 300:
        return Verdict.DELIVERED
    if status_code == 410:
        return Verdict.GONE
    return Verdict.REFUSED


# Its own generator: the sender runs in a thread, and drawing from the `random` module's shared
# state there changes it under whoever else uses it (hypothesis, in the tests, calls that an error).
_jitter = random.Random()


def retry_delay(failures: int, *, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `failures`-th failed attempt (1 after the first), jittered."""
    nominal = RETRY_SCHEDULE[failures - 1] if failures <= len(RETRY_SCHEDULE) else RETRY_EVERY_LATER
    draw = (rng or _jitter).uniform(1 - JITTER, 1 + JITTER)
    return nominal * draw


def next_attempt(
    *,
    failures: int,
    now: datetime,
    gives_up_at: datetime,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try again, or None when that would be past `gives_up_at` (then: failed).
    A receiver's Retry-After is honoured: never sooner than it asks."""
    delay = retry_delay(failures, rng=rng)
    if retry_after is not None:
        delay = max(delay, retry_after)
    at = now + timedelta(seconds=delay)
    return at if at <= gives_up_at else None


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date; None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (at - now).total_seconds()) if at.tzinfo else None


@dataclass(frozen=True, slots=True)
class UnsafeTarget(Exception):
    """Why a URL may not receive webhooks."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def check_scheme(scheme: str, host: str | None) -> None:
    if scheme not in ("http", "https"):
        raise UnsafeTarget("only http and https URLs can receive webhooks")
    if not host:
        raise UnsafeTarget("the URL has no host")


def check_address(address: str) -> None:
    """Refuse what would reach the service's own machine or network, not the internet:
    loopback, private, link-local, multicast, and any other address not globally routable
    (unspecified, reserved, shared carrier-grade NAT, documentation ranges)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is no part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast or ip.is_private or ip.is_loopback:
        raise UnsafeTarget(f"{address} is a loopback, private, link-local or multicast address")


def wants(
    *,
    events: list[str],
    team_id: int | None,
    subscribed_at: datetime,
    topic: str,
    changed_at: datetime,
    lead_team_ids: list[int],
) -> bool:
    """Does a subscription receive this change? Its events name the topic, its team (if it
    has one) is among the lead's, and it existed when the change was made (a new
    subscription is not sent the past)."""
    if topic not in events or changed_at < subscribed_at:
        return False
    return team_id is None or team_id in lead_team_ids
