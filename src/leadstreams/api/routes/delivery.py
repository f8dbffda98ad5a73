from __future__ import annotations

from fastapi import APIRouter

from leadstreams.api.deps import Ctx, Who
from leadstreams.domain.roles import Action
from leadstreams.schemas.common import Id
from leadstreams.schemas.delivery import (
    LeadAssignmentRead,
    MailPreference,
    TeamDeliveryRead,
    TeamDeliveryUpdate,
)
from leadstreams.services import leads, notifications, team_delivery

router = APIRouter(tags=["users and teams"])


@router.get("/teams/{team_id}/delivery", response_model=TeamDeliveryRead)
def get_delivery(ctx: Ctx, who: Who, team_id: Id) -> TeamDeliveryRead:
    who.require(Action.READ_TEAMS)
    return team_delivery.get_delivery(ctx, team_id=team_id)


@router.put("/teams/{team_id}/delivery", response_model=TeamDeliveryRead)
def put_delivery(ctx: Ctx, who: Who, team_id: Id, body: TeamDeliveryUpdate) -> TeamDeliveryRead:
    who.require(Action.MANAGE_TEAMS)
    return team_delivery.put_delivery(ctx, team_id=team_id, data=body)


@router.get("/leads/{lead_id}/assignments", response_model=list[LeadAssignmentRead])
def lead_assignments(ctx: Ctx, who: Who, lead_id: Id) -> list[LeadAssignmentRead]:
    who.require(Action.WORK_LEADS)
    return leads.assignments(ctx, who=who, lead_id=lead_id)


@router.get("/me/notifications", response_model=MailPreference)
def my_notifications(ctx: Ctx, who: Who) -> MailPreference:
    return notifications.preference(ctx, user_id=who.id)


@router.put("/me/notifications", response_model=MailPreference)
def set_my_notifications(ctx: Ctx, who: Who, body: MailPreference) -> MailPreference:
    return notifications.set_preference(ctx, user_id=who.id, data=body)
