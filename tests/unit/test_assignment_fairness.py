"""The assignment policy is fair (product spec, section 4a): a simulation of 10,000 leads
with weights 3:2:1, one member paused halfway and others reaching their monthly capacity,
and a property over random weights."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from leadstreams.domain.assignment import (
    AssignedBy,
    Member,
    Policy,
    after,
    choose,
    first_assigning_team,
    is_available,
    month_start,
)

A, B, C, FALLBACK = 1, 2, 3, 99
LEADS = 10_000
WEIGHTS = {A: 3, B: 2, C: 1}


def _team() -> list[Member]:
    return [
        Member(A, 3, None, False, 0, 0),
        Member(B, 2, 2500, False, 0, 0),  # reaches capacity after A is paused
        Member(C, 1, 2000, False, 0, 0),  # reaches capacity last: then nobody is available
    ]


def _paused(m: Member) -> Member:
    return Member(m.user_id, m.weight, m.monthly_capacity, True, m.credit, m.assigned_this_month)


def test_ten_thousand_leads_keep_the_weights_over_the_members_available() -> None:
    members = _team()
    segments: dict[frozenset[int], Counter[int]] = {}
    fallback_while_someone_free = 0
    for n in range(LEADS):
        if n == LEADS // 2:  # A goes on holiday halfway
            members = [_paused(m) if m.user_id == A else m for m in members]
        free = frozenset(m.user_id for m in members if is_available(m))
        choice = choose(Policy.WEIGHTED, members, fallback_user_id=FALLBACK)
        if choice.by is AssignedBy.FALLBACK:
            fallback_while_someone_free += bool(free)
        else:
            assert choice.user_id in free
        segments.setdefault(free, Counter())[choice.user_id or 0] += 1
        members = after(members, choice)
        for m in members:  # nobody is ever over capacity
            assert m.monthly_capacity is None or m.assigned_this_month <= m.monthly_capacity
    assert fallback_while_someone_free == 0
    assert set(segments) == {frozenset({A, B, C}), frozenset({B, C}), frozenset({C}), frozenset()}
    assert segments[frozenset()] == Counter({FALLBACK: 3000})  # the rest, and only the rest
    for free, counts in segments.items():
        total, weight = sum(counts.values()), sum(WEIGHTS[u] for u in free)
        for user_id in free:
            share = counts[user_id] / total
            assert abs(share - WEIGHTS[user_id] / weight) <= 0.01, (free, user_id, share)
    final = {m.user_id: m.assigned_this_month for m in members}
    assert final == {A: 2500, B: 2500, C: 2000}


@given(
    weights=st.lists(st.integers(1, 10), min_size=1, max_size=6),
    leads=st.integers(1, 300),
    round_robin=st.booleans(),
)
# Exactly one lead behind: after 14 leads the last 8 has 3, its share 4 (its credit reached the
# total weight, the most it can).
@example(weights=[1, 1, 2, 8, 8, 8], leads=14, round_robin=False)
def test_every_member_stays_within_one_lead_of_their_share(
    weights: list[int], leads: int, round_robin: bool
) -> None:
    policy = Policy.ROUND_ROBIN if round_robin else Policy.WEIGHTED
    used = [1] * len(weights) if round_robin else weights
    members = [Member(n, w, None, False, 0, 0) for n, w in enumerate(weights, start=1)]
    for _ in range(leads):
        members = after(members, choose(policy, members, fallback_user_id=None))
    for m, w in zip(members, used, strict=True):
        assert abs(m.assigned_this_month - leads * w / sum(used)) <= 1


def test_capacity_zero_and_paused_members_are_skipped_and_nobody_means_unassigned() -> None:
    members = [Member(1, 1, 0, False, 0, 0), Member(2, 5, None, True, 0, 0)]
    choice = choose(Policy.WEIGHTED, members, fallback_user_id=None)
    assert (choice.user_id, choice.by) == (None, AssignedBy.NOBODY)
    assert choice.credits == {1: 0, 2: 0}


def test_manual_assigns_nothing() -> None:
    with pytest.raises(ValueError, match=r"^a manual team assigns nothing$"):
        choose(Policy.MANUAL, _team(), fallback_user_id=None)


def test_the_first_team_whose_policy_is_not_manual_assigns() -> None:
    policies = {1: Policy.MANUAL, 2: Policy.WEIGHTED, 3: Policy.ROUND_ROBIN}
    assert first_assigning_team([1, 3, 2], policies) == 3
    assert first_assigning_team([1, 4], policies) is None


def test_a_choice_says_which_policy_made_it_and_why() -> None:
    members = [Member(1, 3, None, False, 0, 0), Member(2, 1, None, False, 0, 0)]
    weighted = choose(Policy.WEIGHTED, members, fallback_user_id=None)
    assert (weighted.user_id, weighted.by) == (1, AssignedBy.WEIGHTED)
    assert weighted.reason == (
        "weighted: furthest behind their share among 2 available (weight 3 of 4, credit 3)"
    )
    turn = choose(Policy.ROUND_ROBIN, members, fallback_user_id=None)
    assert (turn.user_id, turn.by) == (1, AssignedBy.ROUND_ROBIN)
    assert turn.reason.startswith("round robin: furthest behind their share among 2 available")
    assert "(weight 1 of 2, credit 1)" in turn.reason


def test_nobody_available_says_why() -> None:
    paused = [Member(1, 1, None, True, 0, 0)]
    full = [Member(1, 1, 3, False, 0, 3), Member(2, 1, None, True, 0, 0)]
    assert choose(Policy.WEIGHTED, paused, fallback_user_id=9).reason == (
        "every member paused: the fallback user"
    )
    assert choose(Policy.WEIGHTED, full, fallback_user_id=None).reason == (
        "every member paused or at monthly capacity and no fallback user: unassigned"
    )
    nobody = choose(Policy.ROUND_ROBIN, [], fallback_user_id=None)
    assert nobody.reason == "no members in the rotation and no fallback user: unassigned"


def test_capacity_counts_from_the_first_of_the_month_utc() -> None:
    now = datetime(2026, 3, 17, 15, 4, 5, 6, tzinfo=UTC)
    assert month_start(now) == datetime(2026, 3, 1, tzinfo=UTC)
