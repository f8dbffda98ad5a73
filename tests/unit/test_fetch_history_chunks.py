"""How fetch history cuts and sizes its chunks and counts its progress (no database, no clock)."""

from __future__ import annotations

import pytest

from leadstreams.services.chunks import (
    MAX_GROWTH,
    Chunk,
    Progress,
    next_chunk_size,
    plan_chunk,
    progress_after,
)


def test_a_chunk_well_under_the_budget_grows_the_next_to_fill_it() -> None:
    assert next_chunk_size(100, 0.25, least=100, budget=1.0) == 400
    assert next_chunk_size(400, 0.5, least=100, budget=1.0) == 800


def test_growth_is_at_most_max_growth_fold_however_fast_the_chunk() -> None:
    assert next_chunk_size(100, 0.001, least=100, budget=1.0) == 100 * MAX_GROWTH
    assert next_chunk_size(100, 0.0, least=100, budget=1.0) == 100 * MAX_GROWTH  # timer tick


def test_a_chunk_over_the_budget_shrinks_the_next_but_never_under_the_configured_chunk() -> None:
    assert next_chunk_size(800, 2.0, least=100, budget=1.0) == 400
    assert next_chunk_size(200, 30.0, least=100, budget=1.0) == 100


def test_a_budget_of_zero_keeps_every_chunk_at_the_configured_size() -> None:
    assert next_chunk_size(100, 0.001, least=100, budget=0.0) == 100
    assert next_chunk_size(800, 0.001, least=100, budget=0.0) == 100


@pytest.mark.parametrize("seconds", [0.0, 0.01, 0.3, 1.0, 5.0])
def test_the_next_chunk_is_expected_to_take_no_longer_than_the_budget(seconds: float) -> None:
    """At the rate the last chunk ran, the next one fits in the budget (or is the least)."""
    size = next_chunk_size(1_000, seconds, least=100, budget=1.0)
    assert size == 100 or size * seconds / 1_000 <= 1.0


def test_a_chunk_takes_size_contacts_after_the_cursor_and_counts_them() -> None:
    assert plan_chunk(cursor=10, size=5, last_id=100, tables_counted_at_once=True) == Chunk(
        10, 15, last=False, count=True
    )


def test_a_rest_of_half_a_chunk_or_less_is_taken_along_by_the_last_chunk() -> None:
    assert plan_chunk(cursor=10, size=10, last_id=25, tables_counted_at_once=False) == Chunk(
        10, 25, last=True, count=True
    )
    assert plan_chunk(cursor=10, size=10, last_id=26, tables_counted_at_once=False).high == 20


def test_the_last_chunk_leaves_its_count_to_the_table_where_that_is_cheaper() -> None:
    last = plan_chunk(cursor=10, size=10, last_id=12, tables_counted_at_once=True)
    assert (last.last, last.count) == (True, False)


def test_progress_adds_the_chunk_and_grows_a_low_estimate_of_the_total() -> None:
    before = Progress(cursor=10, scanned=10, total=12, matches_created=3)
    chunk = Chunk(10, 20, last=False, count=True)
    assert progress_after(before, chunk, scanned=10, made=2, table_count=None) == Progress(
        20, 20, 20, 5
    )
    high = Progress(cursor=10, scanned=10, total=90, matches_created=0)
    assert progress_after(high, chunk, scanned=10, made=0, table_count=None).total == 90


def test_the_last_chunk_makes_the_total_exact_from_the_scan_or_the_table() -> None:
    before = Progress(cursor=10, scanned=10, total=90, matches_created=0)
    counted = Chunk(10, 30, last=True, count=True)
    assert progress_after(before, counted, scanned=20, made=1, table_count=None) == Progress(
        30, 30, 30, 1
    )
    uncounted = Chunk(10, 30, last=True, count=False)
    assert progress_after(before, uncounted, scanned=None, made=0, table_count=29).total == 29


def test_a_budget_of_zero_holds_even_for_a_chunk_that_took_no_time() -> None:
    assert next_chunk_size(100, 0.0, least=100, budget=0.0) == 100


def test_a_slow_chunk_scales_the_next_by_the_budget_over_its_time() -> None:
    assert next_chunk_size(800, 4.0, least=100, budget=2.0) == 400
