"""Contact values as the store keeps them: normalised once, on the way in."""

from __future__ import annotations

import re

from leadstreams.rules.fold import fold

COUNTRY = re.compile(r"[A-Z]{2}")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_tags(tags: list[str]) -> list[str]:
    """A set of tags, kept in first-seen spelling; 'VIP' and 'vip' are one tag, as rules
    compare them (fold: 'Straße' and 'STRASSE' stay two)."""
    seen: dict[str, str] = {}
    for tag in tags:
        seen.setdefault(fold(tag), tag)
    return list(seen.values())
