"""Rendering pages: the templates, and what every page gets (user, menu, CSRF token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from leadstreams.domain.roles import Action, Role, may
from leadstreams.domain.topics import BOARD_TOPICS
from leadstreams.services.auth import Principal
from leadstreams.web.deps import LoginRequired, page_user

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescape is on for .html
# The lead changes that live pages listen for, handed to their scripts (`data-topics`).
templates.env.globals["board_topics"] = [topic.value for topic in BOARD_TOPICS]
# The roles that see only their teams' leads: the user forms ask their teams for these only.
templates.env.globals["team_roles"] = [r.value for r in Role if not may(r, Action.SEE_ALL_LEADS)]

# (label, path, the action that shows it): the top menu, per role.
MENU = (
    ("Leads", "/leads", Action.WORK_LEADS),
    ("Contacts", "/contacts", Action.READ_CONTACTS),
    ("Streams", "/streams", Action.READ_STREAMS),
    ("Scoring", "/scoring", Action.MANAGE_SCORING),
    ("Reports", "/reports", Action.READ_REPORTS),
    ("Teams", "/teams", Action.MANAGE_TEAMS),
    ("Users", "/users", Action.MANAGE_USERS),
    ("API keys", "/api-keys", Action.MANAGE_API_KEYS),
    ("Webhooks", "/webhooks", Action.MANAGE_WEBHOOKS),
    ("Lost reasons", "/lost-reasons", Action.MANAGE_LOST_REASONS),
)


def menu_for(user: Principal | None) -> list[tuple[str, str]]:
    if user is None:
        return []
    return [(label, path) for label, path, action in MENU if may(user.role, action)]


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    user: Principal | None = None,
    status_code: int = 200,
) -> Response:
    base = {
        "user": user,
        "menu": menu_for(user),
        "csrf_token": request.session.get("csrf", ""),
        "path": request.url.path,
    }
    return templates.TemplateResponse(
        request, name, base | (context or {}), status_code=status_code
    )


def render_error(request: Request, status: int, message: str, details: list[Any]) -> Response:
    """The page for a typed error (the API answers the same errors with JSON), with the menu
    of whoever is logged in, also for an address no page answers."""
    return render(
        request,
        "error.html",
        {"status": status, "message": message, "details": details},
        user=_user_of(request, status),
        status_code=status,
    )


def _user_of(request: Request, status: int) -> Principal | None:
    user = getattr(request.state, "user", None)
    if user is not None or status >= 500:  # a fault, or the database away: ask it nothing more
        return user if isinstance(user, Principal) else None
    try:
        return page_user(request, request.app.state.ctx)
    except LoginRequired:
        return None
