"""The API explorer at /docs: Swagger UI from our own assets, so no page loads a third-party
script (the content security policy allows none)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def api_docs(request: Request) -> Response:
    return render(request, "api_docs.html", {"openapi_url": request.app.openapi_url})
