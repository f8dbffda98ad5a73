"""Webhook delivery's pure rules: the retry schedule, what an answer means, safe addresses,
and the signature, computed by the package and by the specification's formula."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook

from leadstreams.delivery.http import signature
from leadstreams.domain.webhooks import (
    JITTER,
    RETRY_EVERY_LATER,
    RETRY_SCHEDULE,
    UnsafeTarget,
    Verdict,
    check_address,
    next_attempt,
    parse_retry_after,
    retry_delay,
    verdict,
    wants,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (299, Verdict.DELIVERED),
        (None, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (410, Verdict.GONE),
        (301, Verdict.REFUSED),
        (302, Verdict.REFUSED),
        (400, Verdict.REFUSED),
        (404, Verdict.REFUSED),
    ],
)
def test_what_an_answer_means(code: int | None, expected: Verdict) -> None:
    assert verdict(code) is expected


@given(failures=st.integers(1, 40), seed=st.integers(0, 2**32))
def test_each_delay_is_its_nominal_step_within_the_jitter(failures: int, seed: int) -> None:
    nominal = RETRY_SCHEDULE[failures - 1] if failures <= len(RETRY_SCHEDULE) else RETRY_EVERY_LATER
    delay = retry_delay(failures, rng=random.Random(seed))
    assert nominal * (1 - JITTER) <= delay <= nominal * (1 + JITTER)


def test_the_schedule_is_about_5s_30s_2min_10min_30min_1h_then_every_2h() -> None:
    assert RETRY_SCHEDULE == (5, 30, 120, 600, 1800, 3600) and RETRY_EVERY_LATER == 7200


@given(seed=st.integers(0, 2**32))
def test_a_day_of_failures_ends_in_failed_after_15_to_22_attempts(seed: int) -> None:
    rng, at, failures = random.Random(seed), NOW, 0
    while True:
        failures += 1
        later = next_attempt(failures=failures, now=at, gives_up_at=NOW + DAY, rng=rng)
        if later is None:
            break
        assert at < later <= NOW + DAY
        at = later
    assert 15 <= failures <= 22  # 6 early steps, then 24 h over 2 h +-20%


@given(retry_after=st.floats(0, 20_000), failures=st.integers(1, 10))
def test_retry_after_is_honoured_and_the_window_still_ends(
    retry_after: float, failures: int
) -> None:
    later = next_attempt(failures=failures, now=NOW, gives_up_at=NOW + DAY, retry_after=retry_after)
    assert later is not None and later >= NOW + timedelta(seconds=retry_after)
    assert (
        next_attempt(failures=failures, now=NOW, gives_up_at=NOW, retry_after=retry_after) is None
    )


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert parse_retry_after("120", now=NOW) == 120
    assert parse_retry_after("Sun, 01 Mar 2026 09:02:00 GMT", now=NOW) == 120
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after(None, now=NOW) is None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "fe80::1%eth0",
        "fc00::1",
        "224.0.0.251",
        "ff02::1",
        "0.0.0.0",
        "::ffff:10.0.0.1",
        "100.64.0.1",
    ],
)
def test_addresses_that_are_not_the_internet_are_refused(address: str) -> None:
    with pytest.raises(UnsafeTarget):
        check_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_taken(address: str) -> None:
    check_address(address)


def test_a_subscription_wants_its_events_for_its_team_from_its_creation_on() -> None:
    def asks(**change: object) -> bool:
        base: dict[str, object] = {
            "events": ["lead.created"],
            "team_id": 7,
            "subscribed_at": NOW,
            "topic": "lead.created",
            "changed_at": NOW,
            "lead_team_ids": [3, 7],
        }
        return wants(**(base | change))  # type: ignore[arg-type]

    assert asks()
    assert not asks(topic="lead.assigned")
    assert not asks(lead_team_ids=[3])
    assert asks(team_id=None, lead_team_ids=[])
    assert not asks(changed_at=NOW - timedelta(seconds=1))


@given(
    body=st.text(max_size=200),
    message_id=st.from_regex(r"msg_[a-z0-9]{1,30}", fullmatch=True),
    key=st.binary(min_size=24, max_size=64),
)
def test_the_signature_is_the_specifications_hmac_and_verifies(
    body: str, message_id: str, key: bytes
) -> None:
    secret = "whsec_" + base64.b64encode(key).decode()
    at = datetime.now(UTC).replace(microsecond=0)
    signed = signature(secrets=[secret], message_id=message_id, at=at, body=body)
    by_hand = hmac.new(key, f"{message_id}.{int(at.timestamp())}.{body}".encode(), hashlib.sha256)
    assert signed == "v1," + base64.b64encode(by_hand.digest()).decode()
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signed,
    }
    Webhook(secret).verify(body, headers, json_parse=False)


def test_the_jitter_is_drawn_without_touching_the_shared_random_state() -> None:
    before = random.getstate()
    delays = {retry_delay(1) for _ in range(20)}
    assert random.getstate() == before
    assert len(delays) > 1  # still jittered
