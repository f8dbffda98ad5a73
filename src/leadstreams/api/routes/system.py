from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from leadstreams.api.deps import Ctx

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz(ctx: Ctx) -> dict[str, str]:
    """No authentication: the process is up and its database answers."""
    ctx.database.check()
    return {"status": "ok"}


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}}},
)
def metrics(ctx: Ctx) -> Response:
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
