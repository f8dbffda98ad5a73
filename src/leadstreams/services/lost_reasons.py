"""The list of reasons the board offers for a move to Lost: everyone who works leads reads
it; admins keep it."""

from __future__ import annotations

from leadstreams.domain.roles import Action
from leadstreams.errors import Conflict, NotFound
from leadstreams.schemas.leads import LostReasonCreate, LostReasonRead
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.store import lost_reasons as store


def list_reasons(ctx: Context, *, who: Principal) -> list[LostReasonRead]:
    who.require(Action.WORK_LEADS)
    with ctx.uow(read_only=True) as uow:
        found = store.all_reasons(uow.connection)
    return [LostReasonRead.model_validate(r, from_attributes=True) for r in found]


def add_reason(ctx: Context, *, who: Principal, data: LostReasonCreate) -> LostReasonRead:
    who.require(Action.MANAGE_LOST_REASONS)
    with ctx.uow() as uow:
        if store.find(uow.connection, label=data.label) is not None:
            raise Conflict(f"the list has “{data.label}” already")
        made = store.add(uow.connection, label=data.label, at=uow.clock.now())
        uow.commit()
    return LostReasonRead.model_validate(made, from_attributes=True)


def remove_reason(ctx: Context, *, who: Principal, reason_id: int) -> None:
    """Leads lost for this reason keep its words; the board no longer offers it."""
    who.require(Action.MANAGE_LOST_REASONS)
    with ctx.uow() as uow:
        if not store.remove(uow.connection, reason_id=reason_id):
            raise NotFound(f"no lost reason with id {reason_id}")
        uow.commit()
