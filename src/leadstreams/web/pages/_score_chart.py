"""The contact card's score over time: a small step chart drawn as SVG on the server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from leadstreams.schemas.scoring import ScoreHistoryItem

WIDTH, HEIGHT, PAD = 300, 72, 4


@dataclass(frozen=True, slots=True)
class ScoreChart:
    width: int
    height: int
    points: str  # the polyline's "x,y x,y ..."
    zero_y: float  # where score 0 is drawn
    low: int
    high: int
    since: datetime
    summary: str  # the chart in words, for screen readers


def score_chart(history: Sequence[ScoreHistoryItem], now: datetime) -> ScoreChart | None:
    """A step line from the first change to `now` (each score held until the next change),
    scaled to the scores seen and zero; None without history."""
    if not history:
        return None
    start = history[0].at
    span = max((now - start).total_seconds(), 1.0)
    values = [item.value for item in history]
    low, high = min(0, *values), max(0, *values)
    rise = max(high - low, 1)

    def x(at: datetime) -> float:
        return round(PAD + (WIDTH - 2 * PAD) * (at - start).total_seconds() / span, 1)

    def y(value: int) -> float:
        return round(HEIGHT - PAD - (HEIGHT - 2 * PAD) * (value - low) / rise, 1)

    steps: list[tuple[float, float]] = []
    for n, item in enumerate(history):
        until = history[n + 1].at if n + 1 < len(history) else now
        steps += [(x(item.at), y(item.value)), (x(until), y(item.value))]
    points = " ".join(f"{px},{py}" for px, py in steps)
    summary = (
        f"Score from {values[0]} to {values[-1]} since {start:%Y-%m-%d}, "
        f"between {min(values)} and {max(values)}"
    )
    return ScoreChart(WIDTH, HEIGHT, points, y(0), low, high, start, summary)
