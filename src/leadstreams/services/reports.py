"""Stream and team performance (the Reports page): leads over time, the funnel, and how soon
sales first moves a lead, per stream or per team, over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from leadstreams.services.context import Context
from leadstreams.store import reports
from leadstreams.store.reports import Funnel, GroupBy

__all__ = ["PERIODS", "Funnel", "GroupBy", "GroupReport", "Report", "performance"]

PERIODS = (30, 90, 365)  # days a report may look back
TOP_REASONS = 3
UNSAID = "No reason given"
OWN_WORDS = "Other (in their own words)"


@dataclass(frozen=True, slots=True)
class GroupReport:
    id: int
    name: str
    weeks: list[tuple[datetime, int]]  # (the week's Monday, leads that arrived), every week
    funnel: Funnel
    median_to_first_move: timedelta | None  # None: no lead of the period was moved yet
    lost_reasons: list[tuple[str, int]]  # the most given first, at most TOP_REASONS


@dataclass(frozen=True, slots=True)
class Report:
    by: GroupBy
    days: int
    since: datetime
    groups: list[GroupReport]


def performance(ctx: Context, *, by: GroupBy, days: int) -> Report:
    now = ctx.clock.now()
    since = now - timedelta(days=days)
    with ctx.uow(read_only=True) as uow:
        names = reports.group_names(uow.connection, by)
        counts = reports.leads_per_week(uow.connection, by, since)
        funnels = {f.group_id: f for f in reports.funnels(uow.connection, by, since)}
        medians = reports.median_seconds_to_first_move(uow.connection, by, since)
        reasons = reports.lost_reason_counts(uow.connection, by, since)
        labels = reports.lost_reason_labels(uow.connection)
    first, last = reports.week_of(since), reports.week_of(now)
    per_week = {(c.group_id, c.week): c.leads for c in counts}
    groups = [
        GroupReport(
            id=group_id,
            name=name,
            weeks=[
                (reports.week_start(week), per_week.get((group_id, week), 0))
                for week in range(first, last + 1)
            ],
            funnel=funnels.get(group_id) or Funnel(group_id, 0, 0, 0, 0, 0),
            median_to_first_move=(
                timedelta(seconds=round(medians[group_id])) if group_id in medians else None
            ),
            lost_reasons=top_reasons(
                [(reason, n) for g, reason, n in reasons if g == group_id], labels
            ),
        )
        for group_id, name in names.items()
    ]
    return Report(by=by, days=days, since=since, groups=groups)


def top_reasons(counted: list[tuple[str | None, int]], labels: list[str]) -> list[tuple[str, int]]:
    """The reasons most given, by the label chosen from the admins' list: a lead's reason is
    kept as "Label: own words" (web/pages/_lost.py), so "No budget: next year" counts for "No
    budget"; a reason in own words only counts as OWN_WORDS. Ties by label."""
    tally: dict[str, int] = {}
    for reason, n in counted:
        label = _label_of(reason, labels)
        tally[label] = tally.get(label, 0) + n
    return sorted(tally.items(), key=lambda item: (-item[1], item[0]))[:TOP_REASONS]


def _label_of(reason: str | None, labels: list[str]) -> str:
    if not reason:
        return UNSAID
    for label in labels:
        if reason == label or reason.startswith(f"{label}: "):
            return label
    return OWN_WORDS
