"""The lead board: a column per stage, paged; filters in the URL; move a card to a stage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.domain.stages import Stage
from leadstreams.schemas.common import Id
from leadstreams.services import board, views
from leadstreams.services.auth import Principal
from leadstreams.services.views import BoardScreen, Cards
from leadstreams.web.deps import Csrf, PageUser
from leadstreams.web.pages._cards import STAGES, cards
from leadstreams.web.pages._filters import BoardForm, options
from leadstreams.web.pages._lost import stage_move
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)
Filters = Annotated[BoardForm, Depends()]


@router.get("/leads")
def board_page(request: Request, ctx: Ctx, user: PageUser, form: Filters) -> Response:
    found = views.board(ctx, who=user, query=form.query())
    return render(request, "leads.html", _board(found, form), user=user)


@router.get("/leads/column")
def column_page(
    request: Request, ctx: Ctx, user: PageUser, form: Filters, stage: Stage, cursor: str
) -> Response:
    """The next page of one column, for its "Show more" button (htmx)."""
    found = views.column(ctx, who=user, query=form.query(stage=stage, cursor=cursor))
    context: dict[str, Any] = {"cards": cards(found.items, names=found.names, now=found.now)}
    context |= {"stage": stage, "next_cursor": found.next_cursor, "stages": STAGES}
    return render(request, "board_column.html", context | options(form), user=user)


@router.get("/leads/{lead_id}/card")
def card_fragment(
    request: Request, ctx: Ctx, user: PageUser, form: Filters, lead_id: Id
) -> Response:
    """One card as the board shows it now; 204 when it is not (or no longer) on this board."""
    found = views.column(ctx, who=user, query=form.query(lead_id=lead_id))
    if not found.items:
        return Response(status_code=204)
    return _card(request, found, user=user)


@router.post("/leads/{lead_id}/stage", dependencies=[Csrf])
def move(
    request: Request,
    ctx: Ctx,
    user: PageUser,
    lead_id: Id,
    stage: Annotated[Stage, Form()],
    next: Annotated[str, Form()] = "/leads",
    lost_reason_choice: Annotated[str, Form()] = "",
    lost_reason_detail: Annotated[str, Form()] = "",
) -> Response:
    """Drag and drop and the card's "Move to" form: the moved card (htmx), or back to `next`.
    A move to Lost carries its reason (the list's choice and the words typed)."""
    data = stage_move(stage, choice=lost_reason_choice, detail=lost_reason_detail)
    found = board.work(ctx, who=user, lead_id=lead_id, data=data)
    if request.headers.get("hx-request"):
        return _card(request, found, user=user)
    return RedirectResponse(back_to(next), status_code=303)


def back_to(target: str) -> str:
    """Only back to a page of the board: never to another site."""
    return target if target.startswith("/leads") else "/leads"


def _card(request: Request, found: Cards, *, user: Principal) -> Response:
    (card,) = cards(found.items, names=found.names, now=found.now)
    return render(request, "board_card.html", {"card": card, "stages": STAGES}, user=user)


def _board(found: BoardScreen, form: BoardForm) -> dict[str, Any]:
    names, now = found.names, found.now
    columns = [
        {
            "stage": stage,
            "label": STAGES[stage],
            "cards": cards(page.items, names=names, now=now),
            "next_cursor": page.next_cursor,
        }
        for stage, page in found.columns.items()
    ]
    empty = not any(column["cards"] for column in columns)
    context = {"columns": columns, "empty": empty, "stages": STAGES}
    context |= {"streams": found.streams, "teams": found.teams, "people": found.people}
    context |= {"feed_cursor": found.feed_cursor}
    return context | options(form)
