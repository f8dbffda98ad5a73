"""Rules 3 and 4 as the pure functions that live matching and fetch history both follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadstreams.domain.matching import (
    CurrentMatch,
    LeadOnBoard,
    announced_as_created,
    lead_stage,
    leads_to_open,
    may_match,
    requalify_cutoff,
    stage_after_new_matches,
)
from leadstreams.rules.fields import NO_LEAD

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAYS = 30


def _current(days_old: float, *, closed: bool) -> CurrentMatch:
    return CurrentMatch(7, NOW - timedelta(days=days_old), lead_closed=closed)


def test_a_contact_without_a_current_match_may_match() -> None:
    assert may_match(None, requalify_after_days=None, now=NOW)


def test_a_current_match_blocks_a_new_one_when_the_stream_does_not_requalify() -> None:
    assert not may_match(_current(365, closed=True), requalify_after_days=None, now=NOW)


def test_a_closed_lead_s_match_exactly_as_old_as_the_period_gives_way() -> None:
    assert may_match(_current(DAYS, closed=True), requalify_after_days=DAYS, now=NOW)
    assert not may_match(_current(DAYS - 1e-6, closed=True), requalify_after_days=DAYS, now=NOW)


def test_an_open_lead_s_match_never_gives_way() -> None:
    assert not may_match(_current(DAYS * 10, closed=False), requalify_after_days=DAYS, now=NOW)


def test_the_requalification_cutoff_is_the_period_before_now() -> None:
    assert requalify_cutoff(NOW, DAYS) == NOW - timedelta(days=DAYS)
    assert requalify_cutoff(NOW, None) is None


def test_only_contacts_without_an_open_lead_get_a_new_one() -> None:
    assert leads_to_open([1, 2, 3], {2: 20}) == {1, 3}


def test_the_first_match_of_each_new_lead_announces_it_and_the_others_join_it() -> None:
    written = [(12, 100), (11, 100), (13, 200), (14, 300)]
    assert announced_as_created(written, new_leads={100, 300}) == {11, 14}


def test_the_lead_stage_is_the_newest_lead_s_by_creation_then_id() -> None:
    older = LeadOnBoard(9, NOW - timedelta(days=1), "won")
    newer = LeadOnBoard(3, NOW, "sql")
    same_time_higher_id = LeadOnBoard(4, NOW, "lost")
    assert lead_stage([older, newer]) == "sql"
    assert lead_stage([newer, same_time_higher_id, older]) == "lost"
    assert lead_stage([]) == NO_LEAD


def test_new_matches_make_the_stage_mql_only_when_they_open_a_lead() -> None:
    assert stage_after_new_matches("won", had_open_lead=False) == "mql"
    assert stage_after_new_matches("sql", had_open_lead=True) == "sql"
