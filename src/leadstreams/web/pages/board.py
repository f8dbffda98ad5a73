"""The lead board: a column per stage, paged; filters in the URL; move a card to a stage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.domain.stages import Stage
from leadstreams.schemas.common import Id
from leadstreams.schemas.leads import LeadUpdate
from leadstreams.services import board, views
from leadstreams.services.auth import Principal
from leadstreams.services.views import BoardScreen, Cards
from leadstreams.web.deps import Csrf, PageUser
from leadstreams.web.pages._cards import STAGES, cards
from leadstreams.web.pages._filters import PER_COLUMN, BoardForm, options
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


MAX_CARDS = 100  # lead ids in one live batch


@router.get("/leads/cards")
def cards_fragment(
    request: Request,
    ctx: Ctx,
    user: PageUser,
    form: Filters,
    id: Annotated[list[Id], Query(min_length=1, max_length=MAX_CARDS)],
) -> Response:
    """These leads' cards as the board shows them now (the live feed's batch): a lead that
    is not on this board (any more) has no card in the answer."""
    found = views.live_cards(ctx, who=user, query=form.query(lead_ids=tuple(sorted(set(id)))))
    context: dict[str, Any] = {"cards": cards(found.items, names=found.names, now=found.now)}
    context |= {"stages": STAGES, "totals": found.totals}
    return render(request, "board_cards.html", context | options(form), user=user)


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
) -> Response:
    """Drag and drop and the card's "Move to" form: the moved card (htmx), or back to `next`."""
    found = board.work(ctx, who=user, lead_id=lead_id, data=LeadUpdate(stage=stage))
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
            "total": found.totals.get(stage, 0),
        }
        for stage, page in found.columns.items()
    ]
    empty = not any(column["cards"] for column in columns)
    context = {"columns": columns, "empty": empty, "stages": STAGES}
    context |= {"streams": found.streams, "teams": found.teams, "people": found.people}
    context |= {"lead_counts": found.lead_counts, "per_column": PER_COLUMN}
    context |= {"feed_cursor": found.feed_cursor}
    return context | options(form)
