"""Plain HTML forms: parse into a schema, show each error next to its field, say what happened."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from leadstreams.api.errors import pydantic_path
from leadstreams.errors import Conflict, ErrorDetail, InvalidInput, LeadstreamsError
from leadstreams.schemas.plain import plain_message

M = TypeVar("M", bound=BaseModel)

# What a form shows again: the input was wrong (422) or the state forbids it now (409).
FormError = (InvalidInput, Conflict)


def parse(model: type[M], data: dict[str, Any]) -> M:
    """The schema the API uses, so a form and the API refuse the same input the same way."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        details = [
            ErrorDetail(pydantic_path(e["loc"]), plain_message(dict(e))) for e in error.errors()
        ]
        raise InvalidInput("the form is not valid", details) from error


def field_errors(error: LeadstreamsError, *, default: str, prefix: str = "") -> dict[str, str]:
    """{"email": "not an e-mail address", "team_ids": "..."}: `team_ids[0]` shows at `team_ids`.
    An error without a path (a conflict) shows at `default`."""
    found: dict[str, str] = {}
    for detail in error.details:
        field = detail.path.split("[")[0].split(".")[0]
        found.setdefault(prefix + field, detail.message)
    return found or {prefix + default: error.message}


def status_of(error: LeadstreamsError) -> int:
    return 409 if isinstance(error, Conflict) else 422


def flash(request: Request, message: str) -> None:
    """A one-time message shown by the next page (after a redirect)."""
    request.session["flash"] = message


def take_flash(request: Request) -> str | None:
    message = request.session.pop("flash", None)
    return message if isinstance(message, str) else None
