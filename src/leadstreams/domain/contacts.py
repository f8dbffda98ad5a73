"""Contact values as the store keeps them: normalised once, on the way in."""

from __future__ import annotations

import re
from typing import Literal, get_args

Category = Literal["prospect", "customer", "other"]
CATEGORIES: tuple[Category, ...] = get_args(Category)
COUNTRY = re.compile(r"[A-Z]{2}")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_tags(tags: list[str]) -> list[str]:
    """A set of tags, kept in first-seen spelling; 'VIP' and 'vip' are one tag."""
    seen: dict[str, str] = {}
    for tag in tags:
        seen.setdefault(tag.lower(), tag)
    return list(seen.values())
