"""The Segment tracking API's messages as Leadstreams reads them (api.md, "Sources"): event
names to event types, traits to contact fields, page messages to `page_visited`.

Pure: the mapping table of docs/sources.md, in code.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from leadstreams.rules.fields import NAME_PATTERN

PAGE_VISITED = "page_visited"
PAGE_PROPERTIES = ("url", "path", "title", "referrer")
ANONYMOUS_DAYS = 30  # how long a visitor known only by an anonymousId is kept after last seen

# Segment's spec names whose snake case is not the type Leadstreams already has.
EVENT_ALIASES = {"email_link_clicked": "email_clicked", "page_viewed": PAGE_VISITED}

_NOT_A_LETTER_OR_DIGIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def event_type(name: str) -> str | None:
    """'Form Submitted' -> 'form_submitted', 'Email Link Clicked' -> 'email_clicked',
    'trialStarted' -> 'trial_started'; None when nothing usable is left (a rule could not
    name it: it must start with a letter and have at most 63 characters)."""
    snake = _NOT_A_LETTER_OR_DIGIT.sub("_", _CAMEL.sub("_", name.strip()).lower()).strip("_")
    snake = EVENT_ALIASES.get(snake, snake)
    return snake if NAME_PATTERN.fullmatch(snake) else None


# contact field <- the traits that give it, first found wins
TRAIT_FIELDS: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "first_name": ("firstName", "first_name"),
    "last_name": ("lastName", "last_name"),
    "company": ("company",),
    "title": ("title",),
    "phone": ("phone",),
    "country": ("country",),
    "city": ("city",),
}


def contact_fields(
    traits: Mapping[str, Any], custom_names: Collection[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the contact's fields, its custom values) that `traits` give; the rest is ignored."""
    found: dict[str, Any] = {}
    given = traits.get("address")
    address: Mapping[str, Any] = given if isinstance(given, dict) else {}
    for field, names in TRAIT_FIELDS.items():
        value = next((traits[name] for name in names if traits.get(name) is not None), None)
        if value is None and field in ("country", "city"):
            value = address.get(field)
        if isinstance(value, dict) and field == "company":  # Segment's {"name": ...}
            value = value.get("name")
        if value is not None:
            found[field] = value
    _split_name(traits.get("name"), found)
    if not (isinstance(found.get("country"), str) and len(found["country"].strip()) == 2):
        found.pop("country", None)  # "Sweden" is not a code: ignored, not an error
    custom = {name: traits[name] for name in custom_names if name in traits}
    return found, custom


def _split_name(name: Any, found: dict[str, Any]) -> None:
    """The `name` trait fills the first and last name that no other trait gave."""
    if not isinstance(name, str) or not name.strip():
        return
    first, _, last = name.strip().partition(" ")
    if "first_name" not in found and "last_name" not in found:
        found["first_name"] = first
        if last.strip():
            found["last_name"] = last.strip()


def page_properties(
    properties: Mapping[str, Any], context_page: Mapping[str, Any], name: str | None
) -> dict[str, Any]:
    """`url`, `path`, `title`, `referrer` from the message's properties, else from its
    context (where browser clients put them), and the page's name when given."""
    kept = {
        key: properties.get(key, context_page.get(key))
        for key in PAGE_PROPERTIES
        if properties.get(key, context_page.get(key)) is not None
    }
    if name:
        kept["name"] = name
    return kept
