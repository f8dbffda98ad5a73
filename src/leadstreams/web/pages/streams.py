"""The stream page: list, create and edit with the rule editor, switch, clear, fetch history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.domain.roles import Action, may
from leadstreams.domain.streams import StreamAction
from leadstreams.errors import Conflict, InvalidInput, LeadstreamsError, NotFound
from leadstreams.schemas.common import Id, Strict
from leadstreams.schemas.streams import StreamCreate, StreamUpdate
from leadstreams.services import fetch_history as fetching
from leadstreams.services import stream_screens, streams, views, vocabulary
from leadstreams.services.auth import Principal
from leadstreams.web.deps import Csrf, PageUser
from leadstreams.web.pages._cards import STAGES
from leadstreams.web.pages._rule_messages import plain_rule_issues
from leadstreams.web.pages._stream_form import (
    StreamForm,
    check,
    errors_by_field,
    read_form,
    what_happened,
)
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)
TypedForm = Annotated[StreamForm, Depends(read_form)]
_FLASH = "streams.flash"
ARCHIVE_PAGE = 500


class RulesBody(Strict):
    rules: Any


def _manager(user: PageUser) -> Principal:
    user.require(Action.MANAGE_STREAMS)
    return user


Manager = Annotated[Principal, Depends(_manager)]


@router.get("/streams")
def stream_list(request: Request, ctx: Ctx, user: PageUser) -> Response:
    user.require(Action.READ_STREAMS)
    screen = views.stream_list(ctx)
    context = {
        "streams": screen.streams,
        "team_names": screen.team_names,
        "manage": may(user.role, Action.MANAGE_STREAMS),
        "flash": request.session.pop(_FLASH, None),
    }
    return render(request, "streams.html", context, user=user)


@router.get("/streams/new")
def new_stream(request: Request, ctx: Ctx, user: Manager, copy: Id | None = None) -> Response:
    """A new stream's form; `copy`: filled with a copy of that stream ("Duplicate")."""
    form = StreamForm()
    if copy is not None:
        form = StreamForm.copy_of(streams.get_stream(ctx, stream_id=copy))
    return _editor(request, views.stream_editor(ctx), user, form=form)


@router.post("/streams/new", dependencies=[Csrf])
def create_stream(request: Request, ctx: Ctx, user: Manager, form: TypedForm) -> Response:
    try:
        data = check(ctx, form, StreamCreate)
        stream = streams.create_stream(ctx, data=data, user_id=user.id)
    except (InvalidInput, Conflict) as error:
        return _editor(request, views.stream_editor(ctx), user, form=form, error=error)
    note = "Lead stream created. It is inactive: switch it to Active to start making leads."
    return _back(request, f"/streams/{stream.id}", note)


@router.post("/streams/rules/text", dependencies=[Csrf])
def rules_text(ctx: Ctx, user: PageUser, body: RulesBody) -> JSONResponse:
    """The editor's rules read back in plain English, or every error with its path, in the
    editor's words."""
    user.require(Action.READ_STREAMS)
    try:
        text = vocabulary.rules_text(ctx, raw=body.rules, counts=True)
        return JSONResponse({"valid": True, "text": text})
    except InvalidInput as error:
        plain = plain_rule_issues(body.rules, error.details, vocabulary.current(ctx))
        errors = [{"path": d.path, "message": d.message} for d in plain]
        return JSONResponse({"valid": False, "errors": errors}, status_code=422)


@router.get("/streams/{stream_id}")
def stream_page(
    request: Request, ctx: Ctx, user: PageUser, stream_id: Id, job: Id | None = None
) -> Response:
    user.require(Action.READ_STREAMS)
    if not may(user.role, Action.MANAGE_STREAMS):
        summary = views.stream_summary(ctx, stream_id=stream_id)
        context = {"stream": summary.stream, "team_names": summary.team_names}
        return render(request, "streams_view.html", context, user=user)
    screen = views.stream_editor(ctx, stream_id=stream_id, job_id=job)
    return _editor(request, screen, user, form=_form_of(screen))


@router.post("/streams/{stream_id}", dependencies=[Csrf])
def save_stream(
    request: Request, ctx: Ctx, user: Manager, stream_id: Id, form: TypedForm
) -> Response:
    try:
        data = check(ctx, form, StreamUpdate)
        streams.update_stream(ctx, stream_id=stream_id, data=data, user_id=user.id)
    except (InvalidInput, Conflict) as error:
        screen = views.stream_editor(ctx, stream_id=stream_id)
        return _editor(request, screen, user, form=form, error=error)
    return _back(request, f"/streams/{stream_id}", "Saved.")


@router.post("/streams/{stream_id}/activate", dependencies=[Csrf])
def activate(
    request: Request, ctx: Ctx, user: Manager, stream_id: Id, next: Annotated[str, Form()] = ""
) -> Response:
    streams.set_active(ctx, stream_id=stream_id, active=True, user_id=user.id)
    return _back(request, _next(next, stream_id), "Active: new matches now make leads.")


@router.post("/streams/{stream_id}/deactivate", dependencies=[Csrf])
def deactivate(
    request: Request, ctx: Ctx, user: Manager, stream_id: Id, next: Annotated[str, Form()] = ""
) -> Response:
    streams.set_active(ctx, stream_id=stream_id, active=False, user_id=user.id)
    return _back(request, _next(next, stream_id), "Inactive: the stream makes no new leads.")


@router.post("/streams/{stream_id}/clear", dependencies=[Csrf])
def clear(request: Request, ctx: Ctx, user: Manager, stream_id: Id) -> Response:
    try:
        cleared = fetching.clear_stream(ctx, stream_id=stream_id, user_id=user.id)
    except Conflict as error:
        return _refused(request, ctx, user, stream_id, error)
    return _back(request, f"/streams/{stream_id}", f"Cleared {cleared} leads from the board.")


@router.post("/streams/{stream_id}/delete", dependencies=[Csrf])
def delete(request: Request, ctx: Ctx, user: Manager, stream_id: Id) -> Response:
    """Only while inactive (rule 9): the stream is archived; its leads stay on the board."""
    name = streams.get_stream(ctx, stream_id=stream_id).name
    try:
        streams.delete_stream(ctx, stream_id=stream_id, user_id=user.id)
    except Conflict as error:
        return _refused(request, ctx, user, stream_id, error)
    return _back(request, "/streams", f"“{name}” deleted; its leads stay on the board.")


@router.get("/streams/{stream_id}/check")
def check_contact(
    request: Request,
    ctx: Ctx,
    user: Manager,
    stream_id: Id,
    email: Annotated[str, Query(max_length=320)] = "",
) -> Response:
    """ "Why doesn't this contact match?": the rules against the contact now (htmx: the
    result alone; without JavaScript: the result on a page of its own)."""
    context: dict[str, Any] = {"email": email, "stream_id": stream_id}
    if email.strip():
        context["check"] = stream_screens.check_contact(ctx, stream_id=stream_id, email=email)
    else:
        context["email_error"] = "Enter the e-mail address of the contact you expected."
    name = "streams_check.html" if request.headers.get("hx-request") else "streams_check_page.html"
    if name == "streams_check_page.html":
        context["stream"] = streams.get_stream(ctx, stream_id=stream_id)
    return render(request, name, context, user=user)


@router.get("/streams/{stream_id}/archive")
def archive(request: Request, ctx: Ctx, user: Manager, stream_id: Id) -> Response:
    """The stream's cleared matches, and where each lead is now (rule 7: nothing is lost)."""
    screen = stream_screens.stream_archive(ctx, stream_id=stream_id, limit=ARCHIVE_PAGE)
    context = {
        "stream": screen.stream,
        "rows": screen.rows,
        "limit": ARCHIVE_PAGE,
        "stages": STAGES,
    }
    return render(request, "streams_archive.html", context, user=user)


@router.post("/streams/{stream_id}/fetch-history", dependencies=[Csrf])
def fetch_history(request: Request, ctx: Ctx, user: Manager, stream_id: Id) -> Response:
    try:
        job = fetching.start_fetch_history(ctx, stream_id=stream_id, user_id=user.id)
    except Conflict as error:
        return _refused(request, ctx, user, stream_id, error)
    return RedirectResponse(f"/streams/{stream_id}?job={job.id}", status_code=303)


@router.get("/streams/{stream_id}/jobs/{job_id}")
def job_progress(request: Request, ctx: Ctx, user: Manager, stream_id: Id, job_id: Id) -> Response:
    """The progress of a fetch; polled every second while it runs."""
    job = fetching.get_job(ctx, job_id=job_id)
    if job.stream_id != stream_id:
        raise NotFound("no such job")
    return render(request, "streams_job.html", {"job": job}, user=user)


@router.get("/streams/{stream_id}/preview")
def preview(request: Request, ctx: Ctx, user: Manager, stream_id: Id) -> Response:
    found = streams.preview(ctx, stream_id=stream_id, sample=5)
    return render(request, "streams_preview.html", {"preview": found}, user=user)


def _editor(
    request: Request,
    screen: views.StreamEditor,
    user: Principal,
    *,
    form: StreamForm,
    error: LeadstreamsError | None = None,
    status_code: int | None = None,
) -> Response:
    """The create/edit page; for a saved stream also its switch, actions, preview, log."""
    context: dict[str, Any] = {
        "form": form,
        "stream": screen.stream,
        "errors": errors_by_field(error),
        "teams": screen.teams,
        "vocabulary": screen.vocabulary,
        "flash": request.session.pop(_FLASH, None),
        "log": [_log_line(line) for line in screen.log],
        "job": screen.job,
        "last_fetch": _last_fetch(screen.log),
    }
    if status_code is None:
        status_code = 422 if isinstance(error, InvalidInput) else 409 if error else 200
    return render(request, "streams_form.html", context, user=user, status_code=status_code)


def _log_line(line: views.LogLine) -> dict[str, Any]:
    return {"at": line.entry.at, "who": line.who, "what": what_happened(line.entry)}


def _last_fetch(log: list[views.LogLine]) -> dict[str, Any] | None:
    """When "Fetch ALL leads from history" last finished, and how many matches it made."""
    for line in log:  # newest first
        if line.entry.action == StreamAction.FETCH_HISTORY_DONE:
            return {"at": line.entry.at, "matches": line.entry.changes.get("matches_created", 0)}
    return None


def _form_of(screen: views.StreamEditor) -> StreamForm:
    return StreamForm() if screen.stream is None else StreamForm.of(screen.stream)


def _refused(
    request: Request, ctx: Ctx, user: Principal, stream_id: int, error: Conflict
) -> Response:
    """A state conflict (409): the stream page again, saying why."""
    screen = views.stream_editor(ctx, stream_id=stream_id)
    request.session[_FLASH] = {"kind": "error", "text": error.message}
    return _editor(request, screen, user, form=_form_of(screen), status_code=409)


def _back(request: Request, target: str, note: str) -> Response:
    request.session[_FLASH] = {"kind": "ok", "text": note}
    return RedirectResponse(target, status_code=303)


def _next(target: str, stream_id: int) -> str:
    return "/streams" if target == "/streams" else f"/streams/{stream_id}"
