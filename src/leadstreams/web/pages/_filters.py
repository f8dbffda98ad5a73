"""The board's filter form: GET parameters (so a filtered board is a shareable URL) to a query."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlencode

from leadstreams.domain.stages import Stage
from leadstreams.errors import InvalidInput
from leadstreams.rules.fields import CATEGORIES
from leadstreams.schemas.common import id_from_text
from leadstreams.services.leads import LeadQuery

PER_COLUMN = 25


@dataclass(frozen=True)
class BoardForm:
    """The form's fields as sent: empty means "any". FastAPI reads them from the query string."""

    stream: str = ""
    team: str = ""
    assignee: str = ""  # "", "me", "none" or a user id
    created_from: str = ""
    created_to: str = ""
    hidden: str = ""  # "1": show hidden leads too
    category: str = ""
    tag: str = ""
    q: str = ""

    @property
    def active(self) -> bool:
        """Whether any filter narrows the board."""
        return any(asdict(self).values())

    def querystring(self) -> str:
        return urlencode({name: value for name, value in asdict(self).items() if value})

    def query(
        self,
        *,
        stage: Stage | None = None,
        cursor: str | None = None,
        lead_id: int | None = None,
        lead_ids: tuple[int, ...] | None = None,
    ) -> LeadQuery:
        return LeadQuery(
            stream_id=_id(self.stream),
            team_id=_id(self.team),
            lead_id=lead_id,
            lead_ids=lead_ids,
            stage=stage,
            assignee=self.assignee.strip() or None,
            hidden=None if self.hidden else False,
            category=self.category if self.category in CATEGORIES else None,
            tag=self.tag.strip() or None,
            q=self.q.strip()[:200] or None,
            created_from=_day(self.created_from, "created_from", time.min),
            created_to=_day(self.created_to, "created_to", time.max),
            limit=len(lead_ids) if lead_ids else PER_COLUMN,
            cursor=cursor or None,
        )


def _id(value: str) -> int | None:
    return id_from_text(value)


def _day(value: str, name: str, at: time) -> datetime | None:
    """A day of the date inputs, from its first moment (`time.min`) or to its last."""
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), at, UTC)
    except ValueError as error:
        raise InvalidInput.at(name, "use a date like 2026-03-01") from error


def options(form: BoardForm) -> dict[str, Any]:
    """What the template needs to show the form as it was sent."""
    return {"form": form, "filters": form.querystring(), "categories": CATEGORIES}
