"""How fetch history sizes its chunks from how long the last one took (no database, no clock)."""

from __future__ import annotations

import pytest

from leadstreams.services.history import MAX_GROWTH, next_chunk_size


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
