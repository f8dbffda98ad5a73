"""The Reports page (admins, marketing): per stream or per team, leads over time, the funnel
and the median time to a first move, over the last 30, 90 or 365 days."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.domain.roles import Action
from leadstreams.services import reports
from leadstreams.web.deps import PageUser
from leadstreams.web.pages._charts import column_chart
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/reports")
def report_page(
    request: Request,
    ctx: Ctx,
    user: PageUser,
    by: str = "stream",
    days: str = "90",
) -> Response:
    user.require(Action.READ_REPORTS)
    group_by: reports.GroupBy = "team" if by == "team" else "stream"  # anything else: the default
    period = int(days) if days in {str(d) for d in reports.PERIODS} else 90
    report = reports.performance(ctx, by=group_by, days=period)
    charts = {
        group.id: column_chart([(f"{w:%b %d}", n) for w, n in group.weeks], noun="leads")
        for group in report.groups
    }
    context = {
        "report": report,
        "charts": charts,
        "periods": reports.PERIODS,
        "waited": {g.id: _duration(g.median_to_first_move) for g in report.groups},
    }
    return render(request, "reports.html", context, user=user)


def _duration(wait: timedelta | None) -> str:
    """'3 d 4 h', '5 h 10 min', '12 min': the two largest units that matter."""
    if wait is None:
        return "no lead moved yet"
    minutes = int(wait.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins} min" if hours else f"{mins} min"
