"""How many examples a property test with its own count runs under the loaded profile."""

from __future__ import annotations

from hypothesis import settings


def at_most(count: int) -> int:
    """`count`, or fewer when the profile asks for fewer (the "mutation" profile)."""
    return min(count, settings.default.max_examples)
