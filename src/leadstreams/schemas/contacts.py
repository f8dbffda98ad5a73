from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from leadstreams.domain.contacts import COUNTRY, normalise_email, normalise_tags
from leadstreams.rules.fields import Category
from leadstreams.schemas.common import FreeJson, ShortText, Strict


def _email(value: str) -> str:
    value = normalise_email(value)
    local, _, domain = value.rpartition("@")
    if not local or "." not in domain or " " in value:
        raise ValueError("not an e-mail address")
    return value


# Checked and normalised as a type: users, events and contacts all take the same e-mail.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=320),
    AfterValidator(_email),
]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ContactWrite(Strict):
    """A contact's fields as written; a field absent from the body stays as it is."""

    email: Email | None = None
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    company: ShortText | None = None
    title: ShortText | None = None
    phone: Annotated[str, StringConstraints(max_length=50)] | None = None
    country: str | None = None
    city: ShortText | None = None
    category: Category | None = None
    lead_score: int | None = Field(default=None, ge=-1_000_000_000, le=1_000_000_000)
    tags: list[Tag] | None = Field(default=None, max_length=500)
    fields: FreeJson | None = None  # custom fields, checked against their definitions

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = value.strip().upper()
        if not COUNTRY.fullmatch(value):
            raise ValueError("use an ISO 3166-1 alpha-2 code, e.g. 'SE'")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else normalise_tags(value)


class ContactCreate(ContactWrite):
    @model_validator(mode="after")
    def _identified(self) -> ContactCreate:
        if not self.email and not self.external_id:
            raise ValueError("give 'email' or 'external_id'")
        return self


class ContactRead(BaseModel):
    id: int
    email: str | None
    external_id: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    title: str | None
    phone: str | None
    country: str | None
    city: str | None
    category: str
    lead_score: int
    tags: list[str]
    fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ActivityRead(BaseModel):
    """An event on a contact's timeline."""

    id: int
    event_id: str
    type: str
    occurred_at: datetime
    received_at: datetime
    properties: dict[str, Any]


class Timeline(BaseModel):
    """Newest first by `occurred_at` (ties by id); `next_cursor` (opaque) asks for older."""

    items: list[ActivityRead]
    next_cursor: str | None
