"""The lead board: a column per stage, paged; filters in the URL; move a card to a stage."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.domain.stages import Stage
from leadstreams.errors import InvalidInput
from leadstreams.schemas.common import Id, id_from_text
from leadstreams.schemas.leads import LeadUpdate
from leadstreams.services import board, views
from leadstreams.services.auth import Principal
from leadstreams.services.views import BoardScreen, Cards
from leadstreams.web.deps import Csrf, PageUser
from leadstreams.web.pages._cards import STAGES, cards
from leadstreams.web.pages._filters import PER_COLUMN, BoardForm, options
from leadstreams.web.pages._lost import stage_move
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)
Filters = Annotated[BoardForm, Depends()]


@router.get("/leads")
def board_page(request: Request, ctx: Ctx, user: PageUser, form: Filters) -> Response:
    found = views.board(ctx, who=user, query=form.query())
    return render(request, "leads.html", _board(found, form, user), user=user)


@router.get("/leads/streams")
def streams_box(request: Request, ctx: Ctx, user: PageUser) -> Response:
    """The streams box alone (its states and lead counts), for an open board to refresh as
    leads arrive, without reading its columns again."""
    found = views.streams_box(ctx, who=user)
    context = {"streams": found.streams, "lead_counts": found.lead_counts}
    return render(request, "board_streams.html", context, user=user)


@router.get("/leads/column")
def column_page(
    request: Request, ctx: Ctx, user: PageUser, form: Filters, stage: Stage, cursor: str
) -> Response:
    """The next page of one column, for its "Show more" button (htmx)."""
    found = views.column(ctx, who=user, query=form.query(stage=stage, cursor=cursor))
    context: dict[str, Any] = {"cards": _cards_of(found, user)}
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
    context: dict[str, Any] = {"cards": _cards_of(found, user)}
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


BULK_DONE = {"move": "Moved", "assign": "Assigned", "hide": "Hid"}


@router.post("/leads/bulk", dependencies=[Csrf])
def bulk(
    request: Request,
    ctx: Ctx,
    user: PageUser,
    lead: Annotated[list[Id], Form()],
    action: Annotated[Literal["move", "assign", "hide"], Form()],
    stage: Annotated[Stage | None, Form()] = None,
    assignee: Annotated[str, Form()] = "",
    lost_reason_choice: Annotated[str, Form()] = "",
    lost_reason_detail: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/leads",
) -> Response:
    """The bulk bar: move, assign or hide the selected cards; each lead is checked as the
    single action checks it (a move to Lost needs its reason). Answers a status line (htmx),
    or back to the board."""
    why = (lost_reason_choice, lost_reason_detail)
    found = board.work_many(
        ctx, who=user, lead_ids=lead, data=_bulk_change(action, stage, assignee, user, why)
    )
    if not request.headers.get("hx-request"):
        return RedirectResponse(back_to(next), status_code=303)
    n = len(found.done)
    text = f"{BULK_DONE[action]} {n} {'lead' if n == 1 else 'leads'}"
    if action == "move" and stage is not None:
        text += f" to {STAGES[stage]}"
    context = {"text": text + ".", "refused": found.refused, "done": found.done}
    return render(request, "board_bulk.html", context, user=user)


def _bulk_change(
    action: str, stage: Stage | None, assignee: str, user: Principal, why: tuple[str, str]
) -> LeadUpdate:
    if action == "move":
        if stage is None:
            raise InvalidInput.at("stage", "choose the stage to move the leads to")
        return stage_move(stage, choice=why[0], detail=why[1])
    if action == "hide":
        return LeadUpdate(hidden=True)
    if assignee in ("", "none"):
        return LeadUpdate(assignee_id=None)
    chosen = user.id if assignee == "me" else id_from_text(assignee)
    if chosen is None:
        raise InvalidInput.at("assignee", "choose someone from the list")
    return LeadUpdate(assignee_id=chosen)


def back_to(target: str) -> str:
    """Only back to a page of the board: never to another site."""
    return target if target.startswith("/leads") else "/leads"


def _card(request: Request, found: Cards, *, user: Principal) -> Response:
    (card,) = _cards_of(found, user)
    return render(request, "board_card.html", {"card": card, "stages": STAGES}, user=user)


def _cards_of(found: Cards, user: Principal) -> list[dict[str, Any]]:
    mine = None if user.sees_all_leads else user.team_ids
    return cards(
        found.items, names=found.names, now=found.now, team_names=found.team_names, mine=mine
    )


def _board(found: BoardScreen, form: BoardForm, user: Principal) -> dict[str, Any]:
    names, now, teams = found.names, found.now, found.team_names
    mine = None if user.sees_all_leads else user.team_ids
    columns = [
        {
            "stage": stage,
            "label": STAGES[stage],
            "cards": cards(page.items, names=names, now=now, team_names=teams, mine=mine),
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
