"""The stream form: what the user typed, checked as the API checks it, errors by field."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from pydantic import ValidationError

from leadstreams.api.errors import pydantic_path
from leadstreams.domain.streams import StreamAction
from leadstreams.errors import ErrorDetail, InvalidInput, LeadstreamsError
from leadstreams.schemas.common import id_from_text
from leadstreams.schemas.plain import plain_message
from leadstreams.schemas.streams import StreamCreate, StreamLogEntry, StreamRead, StreamUpdate
from leadstreams.services import vocabulary
from leadstreams.services.context import Context
from leadstreams.web.pages._rule_messages import plain_rule_issues

Data = TypeVar("Data", StreamCreate, StreamUpdate)
EMPTY_RULES = '{"all": []}'

# Kinder words for the errors a person meets most, by path.
_PLAIN = {
    "name": "Give the stream a name.",
    "team_ids": "Tick at least one sales team.",
    "requalify_after_days": "Enter a whole number of days from 1 to 3,650, or leave it empty.",
}
COPY_PREFIX = "Copy of "


@dataclass
class StreamForm:
    """The form as typed: shown again unchanged when something is wrong."""

    name: str = ""
    description: str = ""
    rules: str = EMPTY_RULES  # the rule tree as JSON text, kept in a hidden input by the editor
    team_ids: list[int] = field(default_factory=list)
    requalify_after_days: str = ""  # empty: a closed lead's contact never qualifies again

    @classmethod
    def of(cls, stream: StreamRead) -> StreamForm:
        days = stream.requalify_after_days
        return cls(
            name=stream.name,
            description=stream.description or "",
            rules=json.dumps(stream.rules),
            team_ids=list(stream.team_ids),
            requalify_after_days="" if days is None else str(days),
        )

    @classmethod
    def copy_of(cls, stream: StreamRead) -> StreamForm:
        """A new stream's form holding a copy of `stream` (saved, it is a new inactive stream)."""
        original = cls.of(stream)
        original.name = (COPY_PREFIX + stream.name)[:200]
        return original


async def read_form(request: Request) -> StreamForm:
    form = await request.form()
    keys = ("name", "description", "rules", "requalify_after_days")
    text = {key: str(form.get(key) or "") for key in keys}
    ticked = [id_from_text(v) for v in form.getlist("team_ids") if isinstance(v, str)]
    team_ids = [team_id for team_id in ticked if team_id is not None]
    return StreamForm(**text, team_ids=team_ids)


def check(ctx: Context, form: StreamForm, model: type[Data]) -> Data:
    """The schema the API takes, or InvalidInput with every error of every field at once."""
    details: list[ErrorDetail] = []
    try:
        rules = json.loads(form.rules or EMPTY_RULES)
    except ValueError:
        rules = None
        details.append(ErrorDetail("rules", "the rules could not be read; add them again"))
    raw = {
        "name": form.name,
        "description": form.description,
        "rules": rules if isinstance(rules, dict) else {},
        "team_ids": form.team_ids,
        "requalify_after_days": _days(form.requalify_after_days),
    }
    try:
        data = model.model_validate(raw)
    except ValidationError as error:
        details += [_detail(pydantic_path(e["loc"]), plain_message(e)) for e in error.errors()]
    details += _rule_issues(ctx, rules)
    if details:
        raise InvalidInput("the stream is not valid", details)
    return data


def _days(text: str) -> int | str | None:
    """Empty: never; digits: a number of days; anything else goes on, for the schema to refuse."""
    text = text.strip()
    return None if not text else int(text) if text.isascii() and text.isdecimal() else text


def _detail(path: str, message: str) -> ErrorDetail:
    return ErrorDetail(path, _PLAIN.get(path.split("[")[0], message))


def _rule_issues(ctx: Context, rules: Any) -> list[ErrorDetail]:
    if not isinstance(rules, dict):
        return []
    if rules in ({"all": []}, {"any": []}, {}):
        return [ErrorDetail("rules", "Add at least one rule.")]
    try:
        vocabulary.rules_text(ctx, raw=rules)
    except InvalidInput as error:
        return plain_rule_issues(rules, error.details, vocabulary.current(ctx))
    return []


def errors_by_field(error: LeadstreamsError | None) -> dict[str, list[ErrorDetail]]:
    """{"name": [...], "rules": [...], "team_ids": [...]}; a conflict (name taken) shows at name."""
    if error is None:
        return {}
    found: dict[str, list[ErrorDetail]] = {}
    for detail in error.details or [ErrorDetail("name", error.message)]:
        top = detail.path.split("[")[0].split(".")[0]
        found.setdefault(top, []).append(detail)
    return found


_ACTIONS: dict[str, str] = {
    StreamAction.CREATED: "created the stream",
    StreamAction.EDITED: "edited",
    StreamAction.ACTIVATED: "switched it to Active",
    StreamAction.DEACTIVATED: "switched it off",
    StreamAction.CLEARED: "cleared its leads",
    StreamAction.FETCH_HISTORY_STARTED: "started fetching leads from history",
    StreamAction.FETCH_HISTORY_DONE: "finished fetching leads from history",
    StreamAction.DELETED: "deleted the stream",
}
_FIELDS = {"team_ids": "teams", "requalify_after_days": "re-qualify period"}


def what_happened(entry: StreamLogEntry) -> str:
    """One line of the stream's log, e.g. 'edited name, rules'."""
    action, changes = entry.action, entry.changes or {}
    text = _ACTIONS.get(action, action.replace("_", " "))
    if action == StreamAction.EDITED and changes:
        text += " " + ", ".join(_FIELDS.get(key, key) for key in changes)
    if action == StreamAction.CLEARED:
        text += f" ({changes.get('matches_cleared', 0)} matches cleared)"
    if action == StreamAction.FETCH_HISTORY_DONE:
        text += f" ({changes.get('matches_created', 0)} new matches)"
    return text
