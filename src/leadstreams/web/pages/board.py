from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from leadstreams.web.deps import PageUser
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/leads")
def board(request: Request, user: PageUser) -> Response:
    """The lead board (columns per stage); built out in its own module."""
    return render(request, "leads.html", {}, user=user)
