from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from leadstreams.api.deps import Ctx, Who
from leadstreams.domain.roles import Action
from leadstreams.schemas.common import Strict
from leadstreams.schemas.fields import FieldCreate, FieldRead, VocabularyRead
from leadstreams.services import vocabulary

router = APIRouter(tags=["rules"])


class RulesBody(Strict):
    rules: Any


@router.get("/fields")
def list_fields(ctx: Ctx, who: Who) -> VocabularyRead:
    """The rule vocabulary: fields with their types and operators, and the event types."""
    who.require(Action.READ_STREAMS)
    return vocabulary.describe_vocabulary(ctx)


@router.post("/fields", status_code=201)
def create_field(ctx: Ctx, who: Who, body: FieldCreate) -> FieldRead:
    who.require(Action.MANAGE_FIELDS)
    return vocabulary.create_field(ctx, data=body)


@router.post("/rules/validate")
def validate_rules(ctx: Ctx, who: Who, body: RulesBody) -> dict[str, Any]:
    """200 with the rules in plain English, or 422 with every issue and its path."""
    who.require(Action.READ_STREAMS)
    return {"valid": True, "text": vocabulary.rules_text(ctx, raw=body.rules)}
