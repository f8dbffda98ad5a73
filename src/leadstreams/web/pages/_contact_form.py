"""The contact page's edit form: the details as typed, and what they become for the API's
schema (an emptied box clears the field; tags are written with commas)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

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

    @classmethod
    def of(cls, contact: ContactRead) -> ContactForm:
        text = {name: getattr(contact, name) or "" for name, _ in EDITABLE}
        return cls(text, contact.category, ", ".join(contact.tags))

    def values(self) -> dict[str, Any]:
        """The body of a PATCH: every box, an empty one as null (but the e-mail)."""
        data: dict[str, Any] = {name: (value.strip() or None) for name, value in self.text.items()}
        if data.get("email") is None:
            del data["email"]  # an emptied e-mail stays as it was: a contact keeps its e-mail
        data["category"] = self.category
        data["tags"] = [t.strip() for t in self.tags.split(",") if t.strip()]
        return data


async def read_contact_form(request: Request) -> ContactForm:
    form = await request.form()
    text = {name: str(form.get(name) or "") for name, _ in EDITABLE}
    return ContactForm(text, str(form.get("category") or ""), str(form.get("tags") or ""))


# What to do, for the values the schema refuses most (its own words name a standard).
PLAIN = {
    "email": "Enter an e-mail address, e.g. ada@example.com.",
    "country": "Enter a two-letter country code, e.g. SE.",
}
