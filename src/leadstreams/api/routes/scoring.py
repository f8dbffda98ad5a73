"""Lead scoring: score sets (admin, marketing), a contact's score, manual adjustments."""

from __future__ import annotations

from fastapi import APIRouter

from leadstreams.api.deps import Ctx, Who
from leadstreams.domain.roles import Action
from leadstreams.schemas.common import Id
from leadstreams.schemas.scoring import (
    ContactScore,
    ScoreAdjustmentCreate,
    ScoreAdjustmentRead,
    ScoreSetCreate,
    ScoreSetPreview,
    ScoreSetRead,
    ScoreSetUpdate,
)
from leadstreams.services import scoring

router = APIRouter(tags=["scoring"])


@router.post("/score-sets", status_code=201, response_model=ScoreSetRead)
def create_set(ctx: Ctx, who: Who, body: ScoreSetCreate) -> ScoreSetRead:
    """Inactive unless `active` is given; an active set recomputes every contact in the
    background."""
    who.require(Action.MANAGE_SCORING)
    return scoring.create_set(ctx, data=body, user_id=who.id)


@router.get("/score-sets", response_model=list[ScoreSetRead])
def list_sets(ctx: Ctx, who: Who) -> list[ScoreSetRead]:
    who.require(Action.MANAGE_SCORING)
    return scoring.list_sets(ctx)


@router.post("/score-sets/install-defaults", status_code=201, response_model=list[ScoreSetRead])
def install_defaults(ctx: Ctx, who: Who) -> list[ScoreSetRead]:
    """The engagement and persona sets, inactive (each unless one of its name exists)."""
    who.require(Action.MANAGE_SCORING)
    return scoring.install_defaults(ctx, user_id=who.id)


@router.get("/score-sets/{set_id}", response_model=ScoreSetRead)
def get_set(ctx: Ctx, who: Who, set_id: Id) -> ScoreSetRead:
    who.require(Action.MANAGE_SCORING)
    return scoring.get_set(ctx, set_id=set_id)


@router.patch("/score-sets/{set_id}", response_model=ScoreSetRead)
def update_set(ctx: Ctx, who: Who, set_id: Id, body: ScoreSetUpdate) -> ScoreSetRead:
    who.require(Action.MANAGE_SCORING)
    return scoring.update_set(ctx, set_id=set_id, data=body, user_id=who.id)


@router.post("/score-sets/{set_id}/activate", response_model=ScoreSetRead)
def activate(ctx: Ctx, who: Who, set_id: Id) -> ScoreSetRead:
    """The first set activated turns existing scores into "imported score" adjustments."""
    who.require(Action.MANAGE_SCORING)
    return scoring.set_active(ctx, set_id=set_id, active=True, user_id=who.id)


@router.post("/score-sets/{set_id}/deactivate", response_model=ScoreSetRead)
def deactivate(ctx: Ctx, who: Who, set_id: Id) -> ScoreSetRead:
    who.require(Action.MANAGE_SCORING)
    return scoring.set_active(ctx, set_id=set_id, active=False, user_id=who.id)


@router.get("/score-sets/{set_id}/preview", response_model=ScoreSetPreview)
def preview(ctx: Ctx, who: Who, set_id: Id) -> ScoreSetPreview:
    """Contacts per rule now, and the distribution of the set's totals."""
    who.require(Action.MANAGE_SCORING)
    return scoring.preview(ctx, set_id=set_id)


@router.get("/contacts/{contact_id}/score", response_model=ContactScore)
def contact_score(ctx: Ctx, who: Who, contact_id: Id) -> ContactScore:
    """Sales see it for the contacts of their leads (404 otherwise), as the contact."""
    return scoring.contact_score(ctx, who=who, contact_id=contact_id)


@router.post(
    "/contacts/{contact_id}/score-adjustments",
    status_code=201,
    response_model=ScoreAdjustmentRead,
)
def add_adjustment(
    ctx: Ctx, who: Who, contact_id: Id, body: ScoreAdjustmentCreate
) -> ScoreAdjustmentRead:
    who.require(Action.MANAGE_SCORING)
    return scoring.add_adjustment(ctx, contact_id=contact_id, data=body, user_id=who.id)
