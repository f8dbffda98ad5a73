"""Contacts: rows in, dicts out (the fields the rules read, the API shape)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from leadstreams.errors import Conflict
from leadstreams.store.sql import Among, InsertIgnoringConflicts
from leadstreams.store.tables import contacts
from leadstreams.store.types import from_iso_text, to_iso_text

COLUMNS = (
    "email",
    "external_id",
    "first_name",
    "last_name",
    "company",
    "title",
    "phone",
    "country",
    "city",
    "category",
    "lead_score",
    "tags",
)


@dataclass(frozen=True, slots=True)
class Contact:
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
    custom: dict[str, Any]  # custom fields as stored: datetimes as ISO text
    created_at: datetime
    updated_at: datetime


def record(row: Mapping[Any, Any]) -> Contact:
    """A row of the contacts table as a Contact."""
    return Contact(**{name: row[name] for name in Contact.__dataclass_fields__})


def get(connection: Connection, *, contact_id: int) -> Contact | None:
    row = connection.execute(select(contacts).where(contacts.c.id == contact_id)).mappings().first()
    return None if row is None else record(row)


_BY_IDS = select(contacts).where(Among(contacts.c.id, "ids"))
_IDS = select(contacts.c.id).where(Among(contacts.c.id, "ids"))
_BY_EMAILS = select(contacts.c.email, contacts.c.id).where(Among(contacts.c.email, "emails"))
_BY_EXTERNAL_IDS = select(contacts.c.external_id, contacts.c.id).where(
    Among(contacts.c.external_id, "external_ids")
)


def get_many(connection: Connection, contact_ids: Collection[int]) -> dict[int, RowMapping]:
    """The contacts of these ids, by id (one query; callers bound how many ids they pass)."""
    if not contact_ids:
        return {}
    rows = connection.execute(_BY_IDS, {"ids": sorted(contact_ids)}).mappings()
    return {row["id"]: row for row in rows}


def existing_ids(connection: Connection, contact_ids: Collection[int]) -> set[int]:
    if not contact_ids:
        return set()
    return set(connection.scalars(_IDS, {"ids": sorted(set(contact_ids))}))


def ids_by_email(connection: Connection, emails: Collection[str]) -> dict[str, int]:
    if not emails:
        return {}
    found = connection.execute(_BY_EMAILS, {"emails": sorted(set(emails))})
    return {email: contact_id for email, contact_id in found}


def ids_by_external_id(connection: Connection, external_ids: Collection[str]) -> dict[str, int]:
    if not external_ids:
        return {}
    found = connection.execute(_BY_EXTERNAL_IDS, {"external_ids": sorted(set(external_ids))})
    return {external_id: contact_id for external_id, contact_id in found}


def find(connection: Connection, *, email: str | None, external_id: str | None) -> Contact | None:
    keys = []
    if email:
        keys.append(contacts.c.email == email)
    if external_id:
        keys.append(contacts.c.external_id == external_id)
    if not keys:
        return None
    query = select(contacts).where(or_(*keys)).order_by(contacts.c.id).limit(1)
    row = connection.execute(query).mappings().first()
    return None if row is None else record(row)


@contextmanager
def _unique_keys() -> Iterator[None]:
    try:
        yield
    except IntegrityError as error:
        raise Conflict("another contact has this email or external_id") from error


def create(connection: Connection, *, values: dict[str, Any]) -> int | None:
    """The new contact's id; None when its email or external_id was taken a moment ago."""
    query = InsertIgnoringConflicts(contacts).values(**values).returning(contacts.c.id)
    with _unique_keys():
        contact_id: int | None = connection.scalar(query)
    return contact_id


def update_values(connection: Connection, *, contact_id: int, values: dict[str, Any]) -> None:
    with _unique_keys():
        connection.execute(update(contacts).where(contacts.c.id == contact_id).values(**values))


SEARCHED = (contacts.c.email, contacts.c.first_name, contacts.c.last_name, contacts.c.company)


def search_condition(q: str) -> ColumnElement[bool]:
    """Contacts whose e-mail, first or last name or company contains `q`, in any case
    (`%` and `_` in `q` are plain characters)."""
    return or_(*(func.lower(column).contains(q.lower(), autoescape=True) for column in SEARCHED))


def search(connection: Connection, *, q: str | None, limit: int, after_id: int) -> list[Contact]:
    query = select(contacts).where(contacts.c.id > after_id).order_by(contacts.c.id).limit(limit)
    if q:
        query = query.where(search_condition(q))
    return [record(row) for row in connection.execute(query).mappings()]


def rule_fields(
    row: RowMapping, stage: str | None, datetime_fields: Collection[str]
) -> dict[str, Any]:
    """The fields as the rule evaluator reads them: built-ins, custom fields, and the lead
    stage when it was read (None: the rules at hand do not read it)."""
    fields: dict[str, Any] = {name: row[name] for name in COLUMNS}
    fields["created_at"] = row["created_at"]
    fields["updated_at"] = row["updated_at"]
    if stage is not None:
        fields["lead_stage"] = stage
    for name, value in (row["custom"] or {}).items():
        fields[name] = from_iso_text(value) if name in datetime_fields and value else value
    return fields


def custom_json(values: dict[str, Any]) -> dict[str, Any]:
    """Custom values as stored in JSON: datetimes as fixed-width text that sorts as time."""
    return {k: to_iso_text(v) if isinstance(v, datetime) else v for k, v in values.items()}
