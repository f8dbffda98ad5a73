"""The contact page's edit form: the details and the custom fields as typed, and what they
become for the API's schema (an emptied box clears the field; tags are written with commas;
a custom value is read as its field's type, and left as text for the service to refuse with
what it expected)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from leadstreams.importing import custom_value
from leadstreams.rules import FieldType
from leadstreams.rules.fields import FieldDef
from leadstreams.schemas.contacts import ContactRead

# (name, label) of the details the form edits, in the order it shows them.
EDITABLE = (
    ("email", "E-mail"), ("first_name", "First name"), ("last_name", "Last name"),
    ("company", "Company"), ("title", "Title"), ("phone", "Phone"),
    ("country", "Country (two letters, e.g. SE)"), ("city", "City"),
)  # fmt: skip


@dataclass
class ContactForm:
    text: dict[str, str] = field(default_factory=dict)  # by field name, as typed
    category: str = "prospect"
    tags: str = ""  # comma-separated
    custom: dict[str, str] = field(default_factory=dict)  # custom field values, as typed
    types: dict[str, FieldType] = field(default_factory=dict)  # of the custom fields

    @classmethod
    def of(cls, contact: ContactRead, custom: list[FieldDef]) -> ContactForm:
        text = {name: getattr(contact, name) or "" for name, _ in EDITABLE}
        typed = {f.name: _as_text(contact.fields.get(f.name)) for f in custom}
        types = {f.name: f.type for f in custom}
        return cls(text, contact.category, ", ".join(contact.tags), typed, types)

    def values(self) -> dict[str, Any]:
        """The body of a PATCH: every box, an empty one as null (but the e-mail)."""
        data: dict[str, Any] = {name: (value.strip() or None) for name, value in self.text.items()}
        if data.get("email") is None:
            del data["email"]  # an emptied e-mail stays as it was: a contact keeps its e-mail
        data["category"] = self.category
        data["tags"] = _split(self.tags)
        if self.custom:
            data["fields"] = {
                name: _typed(self.types[name], text.strip()) for name, text in self.custom.items()
            }
        return data


async def read_contact_form(request: Request, custom: list[FieldDef]) -> ContactForm:
    form = await request.form()
    text = {name: str(form.get(name) or "") for name, _ in EDITABLE}
    typed = {f.name: str(form.get(f"fields.{f.name}") or "") for f in custom}
    return ContactForm(
        text,
        str(form.get("category") or ""),
        str(form.get("tags") or ""),
        typed,
        {f.name: f.type for f in custom},
    )


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _typed(kind: FieldType, text: str) -> Any:
    """A box's text as the field's type (as the CSV import reads a cell); None (clear) when
    empty."""
    return custom_value(kind, text, tag_separator=",") if text else None


# What to do, for the values the schema refuses most (its own words name a standard).
PLAIN = {
    "email": "Enter an e-mail address, e.g. ada@example.com.",
    "country": "Enter a two-letter country code, e.g. SE.",
}
