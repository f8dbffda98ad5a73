from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from leadstreams.api.deps import Ctx
from leadstreams.errors import Unauthenticated

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
def metrics(ctx: Ctx, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus text; with `LEADSTREAMS_METRICS_TOKEN` set, for its bearer only."""
    expected = ctx.settings.metrics_token
    if expected is not None:
        sent = (authorization or "").removeprefix("Bearer ")
        if not hmac.compare_digest(sent.encode(), expected.get_secret_value().encode()):
            raise Unauthenticated("send 'Authorization: Bearer <LEADSTREAMS_METRICS_TOKEN>'")
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
