"""Lead scoring's pure parts: the sum, adjustments at their expiry, started and stopped
rules, the next change by time alone at the window's edge, and the contact card's chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from leadstreams.domain.scoring import Adjustment, adjustment_totals, compute, started_stopped
from leadstreams.engine.score_index import LiveScoreRule, ScoreIndex, expires_at
from leadstreams.rules import EventRecord, parse
from leadstreams.rules.fields import Vocabulary
from leadstreams.rules.timing import TICK, timed
from leadstreams.schemas.scoring import ScoreHistoryItem
from leadstreams.web.pages._score_chart import score_chart

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
VOCABULARY = Vocabulary.default()


def _adjustment(points: int, expires_at: datetime | None) -> Adjustment:
    return Adjustment(1, 1, points, "x", expires_at, NOW - DAY)


def test_the_score_sums_the_rules_holding_and_the_adjustments_until_they_expire() -> None:
    adjustments = [_adjustment(5, None), _adjustment(-3, NOW + DAY), _adjustment(100, NOW)]
    score = compute(holding=[1, 3], points={1: 15, 2: 10, 3: -4}, adjustments=adjustments,
                    rules_change_at=NOW + 2 * DAY, now=NOW)  # fmt: skip
    assert score.value == 15 - 4 + 5 - 3  # the adjustment expiring at NOW counts no more
    assert score.changes_at == NOW + DAY  # the adjustment expires before the rules change
    assert started_stopped([1, 2], [2, 3]) == ([3], [1])


EXPIRIES = st.none() | st.integers(-3, 3).map(lambda n: NOW + n * TICK)  # around NOW


@given(st.lists(st.tuples(st.integers(-50, 50), EXPIRIES)))
def test_the_adjustments_totals_are_those_of_the_adjustments_active_now(
    terms: list[tuple[int, datetime | None]],
) -> None:
    """The live path sums (points, expires_at) pairs; the same as `Adjustment.active`."""
    kept = [a for a in (_adjustment(p, e) for p, e in terms) if a.active(NOW)]
    expiries = [a.expires_at for a in kept if a.expires_at is not None]
    expected = (sum(a.points for a in kept), min(expiries, default=None))
    assert adjustment_totals(terms, NOW) == expected


def test_an_event_leaves_its_window_a_microsecond_after_the_edge() -> None:
    rule = parse({"event": "form_submitted", "within_days": 90}, VOCABULARY)
    parts = timed(rule)
    events = [EventRecord("form_submitted", NOW - 89 * DAY, {}),
              EventRecord("form_submitted", NOW - 10 * DAY, {}),
              EventRecord("page_visited", NOW - 95 * DAY, {})]  # fmt: skip
    moment = parts.next_change(parts.earliest_in_window(events, NOW), {}, NOW)
    assert moment == NOW + DAY + TICK  # the oldest counted form leaves first
    live = LiveScoreRule.compile(id=1, score_set_id=1, score_set="s", name="r", points=15,
                                 rule=rule)  # fmt: skip
    assert expires_at(live, {}, events, NOW) == NOW + 80 * DAY + TICK  # when the newest leaves
    index = ScoreIndex([live], any_active=True)
    assert index.score({}, events, [], NOW).value == 15
    assert index.score({}, events, [], NOW + 80 * DAY + TICK).value == 0
    assert index.for_event(events[0]) and not index.for_event(events[2])
    assert index.for_fields(["title"]) is False


def test_a_datetime_field_within_the_last_days_changes_at_both_ends() -> None:
    rule = parse({"field": "updated_at", "op": "within_last_days", "value": 7}, VOCABULARY)
    parts = timed(rule)
    ahead = NOW + DAY  # a date in the future enters the window when it comes
    assert parts.next_change([], {"updated_at": ahead}, NOW) == ahead
    assert parts.next_change([], {"updated_at": NOW}, NOW) == NOW + 7 * DAY + TICK
    assert parts.next_change([], {"updated_at": None}, NOW) is None


def test_the_chart_steps_from_change_to_change_up_to_now() -> None:
    history = [ScoreHistoryItem(at=NOW - 2 * DAY, value=10, reason={}),
               ScoreHistoryItem(at=NOW - DAY, value=-5, reason={})]  # fmt: skip
    chart = score_chart(history, NOW)
    assert chart is not None
    points = [tuple(map(float, p.split(","))) for p in chart.points.split()]
    assert [x for x, _ in points] == [4.0, 150.0, 150.0, 296.0]
    assert points[0][1] == points[1][1] < chart.zero_y < points[2][1] == points[3][1]
    assert (chart.low, chart.high) == (-5, 10)
    assert score_chart([], NOW) is None
