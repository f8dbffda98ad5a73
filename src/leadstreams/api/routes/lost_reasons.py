"""The reasons the board offers for a move to Lost (api.md is silent on the list: docs/web.md)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from leadstreams.api.deps import Ctx, Who
from leadstreams.schemas.common import Id
from leadstreams.schemas.leads import LostReasonCreate, LostReasonRead
from leadstreams.services import lost_reasons

router = APIRouter(tags=["leads"])


@router.get("/lost-reasons")
def list_reasons(ctx: Ctx, who: Who) -> list[LostReasonRead]:
    """The list, in the order it was made; anyone who works leads reads it."""
    return lost_reasons.list_reasons(ctx, who=who)


@router.post("/lost-reasons", status_code=201)
def add_reason(ctx: Ctx, who: Who, body: LostReasonCreate) -> LostReasonRead:
    """Admins: a reason the board offers from now on; 409 when the list has it already."""
    return lost_reasons.add_reason(ctx, who=who, data=body)


@router.delete("/lost-reasons/{reason_id}", status_code=204)
def remove_reason(ctx: Ctx, who: Who, reason_id: Id) -> Response:
    """Admins: the board no longer offers it; leads lost for it keep its words."""
    lost_reasons.remove_reason(ctx, who=who, reason_id=reason_id)
    return Response(status_code=204)
