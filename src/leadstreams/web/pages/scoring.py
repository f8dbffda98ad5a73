"""The Scoring page (admins, marketing): score sets, their rules with the stream rule editor,
switching a set on and off, the default sets, and a preview with the set's distribution."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.api.errors import pydantic_path
from leadstreams.domain.roles import Action
from leadstreams.errors import Conflict, ErrorDetail, InvalidInput, LeadstreamsError
from leadstreams.schemas.common import Id
from leadstreams.schemas.plain import plain_message
from leadstreams.schemas.scoring import ScoreSetCreate, ScoreSetRead, ScoreSetUpdate
from leadstreams.services import scoring, vocabulary
from leadstreams.services.auth import Principal
from leadstreams.web.deps import Csrf, PageUser
from leadstreams.web.pages._rule_messages import plain_rule_issues
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)
_FLASH = "scoring.flash"
EMPTY_CRITERIA = '{"all": []}'


def _manager(user: PageUser) -> Principal:
    user.require(Action.MANAGE_SCORING)
    return user


Manager = Annotated[Principal, Depends(_manager)]


@router.get("/scoring")
def set_list(request: Request, ctx: Ctx, user: Manager) -> Response:
    return _list(request, ctx, user)


def _list(
    request: Request, ctx: Ctx, user: Principal, *, error: LeadstreamsError | None = None
) -> Response:
    sets = scoring.list_sets(ctx)
    context = {
        "sets": sets,
        "any_active": any(s.active for s in sets),
        "flash": request.session.pop(_FLASH, None),
        "errors": _by_field(error),
    }
    status = 422 if isinstance(error, InvalidInput) else 409 if error else 200
    return render(request, "scoring.html", context, user=user, status_code=status)


@router.post("/scoring/new", dependencies=[Csrf])
def create_set(
    request: Request,
    ctx: Ctx,
    user: Manager,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = _valid(ScoreSetCreate, {"name": name, "description": description})
        made = scoring.create_set(ctx, data=data, user_id=user.id)
    except (InvalidInput, Conflict) as error:
        return _list(request, ctx, user, error=error)
    return _back(
        request, f"/scoring/{made.id}", "Score set created. Add its rules, then switch it on."
    )


@router.post("/scoring/install-defaults", dependencies=[Csrf])
def install_defaults(request: Request, ctx: Ctx, user: Manager) -> Response:
    made = scoring.install_defaults(ctx, user_id=user.id)
    names = ", ".join(s.name for s in made)
    note = f"Installed {names} (inactive)." if made else "The default sets are installed already."
    return _back(request, "/scoring", note)


@router.get("/scoring/{set_id}")
def set_page(
    request: Request, ctx: Ctx, user: Manager, set_id: Id, edit: int | None = None
) -> Response:
    found = scoring.get_set(ctx, set_id=set_id)
    editing = edit if edit is not None and 0 <= edit < len(found.rules) else None
    rule = found.rules[editing] if editing is not None else None
    form = {
        "name": rule.name if rule else "",
        "points": str(rule.points) if rule else "",
        "criteria": json.dumps(rule.criteria) if rule else EMPTY_CRITERIA,
        "position": "" if editing is None else str(editing),
    }
    return _set_page(request, ctx, user, found, form)


def _set_page(
    request: Request,
    ctx: Ctx,
    user: Principal,
    found: ScoreSetRead,
    form: dict[str, str],
    error: LeadstreamsError | None = None,
) -> Response:
    context = {
        "set": found,
        "form": form,
        "errors": _by_field(error),
        "vocabulary": vocabulary.describe_vocabulary(ctx),
        "any_active": any(s.active for s in scoring.list_sets(ctx)),
        "flash": request.session.pop(_FLASH, None),
    }
    status = 422 if isinstance(error, InvalidInput) else 409 if error else 200
    return render(request, "scoring_set.html", context, user=user, status_code=status)


@router.post("/scoring/{set_id}/rules", dependencies=[Csrf])
def save_rule(
    request: Request,
    ctx: Ctx,
    user: Manager,
    set_id: Id,
    name: Annotated[str, Form()] = "",
    points: Annotated[str, Form()] = "",
    criteria: Annotated[str, Form()] = EMPTY_CRITERIA,
    position: Annotated[str, Form()] = "",
) -> Response:
    """Add a rule, or replace the one at `position`; the set is saved as the API saves it."""
    found = scoring.get_set(ctx, set_id=set_id)
    form = {"name": name, "points": points, "criteria": criteria, "position": position}
    rules = [_raw(rule) for rule in found.rules]
    at = int(position) if position.isdigit() and int(position) < len(rules) else len(rules)
    try:
        tree = json.loads(criteria or EMPTY_CRITERIA)
    except ValueError:
        tree = {}
    rule = {"name": name, "criteria": tree, "points": _number(points)}
    rules[at : at + 1] = [rule]
    try:
        data = _valid(ScoreSetUpdate, {"rules": rules})
    except InvalidInput as error:  # the criteria's issues too: every error at once
        path = f"rules[{at}].criteria"
        issues = scoring.criteria_issues(ctx, raw=tree, path=path)
        error.details += _plain_criteria(ctx, tree, path, issues)
        return _set_page(request, ctx, user, found, form, _of_rule(error, at))
    try:
        scoring.update_set(ctx, set_id=set_id, data=data, user_id=user.id)
    except InvalidInput as error:
        return _set_page(request, ctx, user, found, form, _of_rule(error, at))
    return _back(request, f"/scoring/{set_id}", "Rule saved.")


def _plain_criteria(ctx: Ctx, tree: Any, path: str, issues: list[ErrorDetail]) -> list[ErrorDetail]:
    """The criteria's issues in the rule editor's words (as the stream page says them)."""
    relative = [ErrorDetail("rules" + i.path.removeprefix(path), i.message) for i in issues]
    plain = plain_rule_issues(tree, relative, vocabulary.current(ctx))
    return [ErrorDetail(i.path, p.message) for i, p in zip(issues, plain, strict=True)]


@router.post("/scoring/{set_id}/rules/{position}/delete", dependencies=[Csrf])
def delete_rule(request: Request, ctx: Ctx, user: Manager, set_id: Id, position: int) -> Response:
    found = scoring.get_set(ctx, set_id=set_id)
    rules = [_raw(rule) for n, rule in enumerate(found.rules) if n != position]
    data = ScoreSetUpdate.model_validate({"rules": rules})
    scoring.update_set(ctx, set_id=set_id, data=data, user_id=user.id)
    return _back(request, f"/scoring/{set_id}", "Rule removed.")


@router.post("/scoring/{set_id}/activate", dependencies=[Csrf])
def activate(request: Request, ctx: Ctx, user: Manager, set_id: Id) -> Response:
    scoring.set_active(ctx, set_id=set_id, active=True, user_id=user.id)
    note = "Active: every contact's score is being recomputed in the background."
    return _back(request, f"/scoring/{set_id}", note)


@router.post("/scoring/{set_id}/deactivate", dependencies=[Csrf])
def deactivate(request: Request, ctx: Ctx, user: Manager, set_id: Id) -> Response:
    scoring.set_active(ctx, set_id=set_id, active=False, user_id=user.id)
    note = "Inactive: its points are being taken off every contact in the background."
    return _back(request, f"/scoring/{set_id}", note)


@router.get("/scoring/{set_id}/preview")
def preview(request: Request, ctx: Ctx, user: Manager, set_id: Id) -> Response:
    found = scoring.preview(ctx, set_id=set_id)
    most = max((bucket.contacts for bucket in found.distribution), default=0)
    return render(request, "scoring_preview.html", {"preview": found, "most": most}, user=user)


def _raw(rule: Any) -> dict[str, Any]:
    return {"name": rule.name, "criteria": rule.criteria, "points": rule.points}


def _number(text: str) -> Any:
    """Points as typed: a whole number, else the text (refused by the schema with its path)."""
    stripped = text.strip()
    return int(stripped) if stripped.lstrip("-").isdigit() else stripped


def _valid(model: Any, raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        details = [ErrorDetail(pydantic_path(e["loc"]), plain_message(e)) for e in error.errors()]
        raise InvalidInput("the score set is not valid", details) from error


def _of_rule(error: InvalidInput, at: int) -> InvalidInput:
    """The errors of the rule being edited, by the form's field names; the criteria's paths
    as the rule editor knows them (under `rules`)."""
    prefix = f"rules[{at}]."
    details = []
    for detail in error.details:
        path = detail.path.removeprefix(prefix)
        if path.startswith("criteria"):
            path = "rules" + path.removeprefix("criteria")
        details.append(ErrorDetail(path, detail.message))
    return InvalidInput(error.message, details)


def _by_field(error: LeadstreamsError | None) -> dict[str, list[ErrorDetail]]:
    if error is None:
        return {}
    found: dict[str, list[ErrorDetail]] = {}
    for detail in error.details or [ErrorDetail("name", error.message)]:
        found.setdefault(detail.path.split("[")[0].split(".")[0], []).append(detail)
    return found


def _back(request: Request, target: str, note: str) -> Response:
    request.session[_FLASH] = {"kind": "ok", "text": note}
    return RedirectResponse(target, status_code=303)
