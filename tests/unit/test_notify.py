"""Who a lead's mail goes to, when a digest falls due, how long a failed send waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadstreams.domain.notify import NotifyMode, due_at, recipients, retry_delay

NOW = datetime(2026, 3, 1, 9, 7, 30, 123, tzinfo=UTC)


def test_the_assignee_alone_when_assigned_else_every_member_never_who_opted_out() -> None:
    assert recipients(assignee_id=5, member_ids=[1, 2, 5], opted_out=set()) == [5]
    assert recipients(assignee_id=None, member_ids=[1, 2, 5], opted_out={2}) == [1, 5]
    assert recipients(assignee_id=5, member_ids=[1, 5], opted_out={5}) == []


def test_immediate_is_due_now_and_a_digest_at_the_end_of_its_period() -> None:
    assert due_at(NotifyMode.IMMEDIATE, now=NOW, digest_minutes=15) == NOW
    end = datetime(2026, 3, 1, 9, 15, tzinfo=UTC)
    assert due_at(NotifyMode.DIGEST, now=NOW, digest_minutes=15) == end
    # Every moment of a period shares its end, so a user's leads of the period go together.
    later = NOW + timedelta(minutes=7, seconds=29)
    assert due_at(NotifyMode.DIGEST, now=later, digest_minutes=15) == end
    at_boundary = datetime(2026, 3, 1, 9, 15, tzinfo=UTC)
    assert due_at(NotifyMode.DIGEST, now=at_boundary, digest_minutes=15) == end + timedelta(
        minutes=15
    )
    hourly = due_at(NotifyMode.DIGEST, now=NOW, digest_minutes=60)
    assert hourly == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_retries_back_off_to_fifteen_minutes() -> None:
    waits = [retry_delay(n).total_seconds() for n in range(1, 8)]
    assert waits == [30, 60, 120, 240, 480, 900, 900]
