"""Small charts drawn as SVG on the server (no chart library): what the templates draw."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, PAD, LABEL = 320, 96, 2, 14  # the plot, its padding, the labels' band below


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    anchor: str  # where the label sits: "start", "middle" or "end" of the column (SVG)


@dataclass(frozen=True, slots=True)
class ColumnChart:
    width: int
    height: int
    bars: list[Bar]
    summary: str  # the chart in words, for screen readers


def column_chart(values: Sequence[tuple[str, int]], *, noun: str) -> ColumnChart:
    """One column per value, the tallest filling the plot; a label under the first, the
    middle and the last column (more would overlap)."""
    top = max((value for _, value in values), default=0) or 1
    slot = (WIDTH - 2 * PAD) / max(len(values), 1)
    plot = HEIGHT - LABEL - PAD
    labelled = {0, len(values) // 2, len(values) - 1}
    bars = []
    for n, (label, value) in enumerate(values):
        height = round(plot * value / top, 1)
        bars.append(
            Bar(
                x=round(PAD + n * slot + slot * 0.1, 1),
                y=round(PAD + plot - height, 1),
                width=round(slot * 0.8, 1),
                height=height,
                label=label if n in labelled else "",
                value=value,
                anchor="start" if n == 0 else "end" if n == len(values) - 1 else "middle",
            )
        )
    total = sum(value for _, value in values)
    summary = f"{total} {noun} over {len(values)} weeks, at most {top} in a week"
    return ColumnChart(WIDTH, HEIGHT, bars, summary if total else f"No {noun} in the period")
