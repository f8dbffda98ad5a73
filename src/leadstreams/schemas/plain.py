"""What a person reads when a form value is refused: plain words that say what to do, in
place of the validator's ("String should have at least 1 character"). Pages show these next
to the field; the API keeps the validator's own messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_LARGE = 10**9  # a bound beyond this means "a sensible number", not a figure to read out


def plain_message(error: Mapping[str, Any]) -> str:
    """A pydantic error (`ValidationError.errors()` item) as a sentence for a form."""
    kind, limits = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and limits.get("min_length") == 1):
        return "Fill this in."
    if kind == "string_too_short":
        return f"Use at least {limits['min_length']} characters."
    if kind == "string_too_long":
        return f"Use at most {limits['max_length']} characters."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Enter a whole number."
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "Enter a number."
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return _bound(kind, limits)
    if kind in ("enum", "literal_error"):
        return "Choose one of the options in the list."
    if kind in ("bool_parsing", "bool_type"):
        return "Choose yes or no."
    if kind.startswith("url_"):
        return "Enter a full web address, e.g. https://example.com/hooks."
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return str(error.get("msg", "This value is not valid."))


def _bound(kind: str, limits: dict[str, Any]) -> str:
    bound = next(iter(limits.values()), None)
    if isinstance(bound, int | float) and abs(bound) >= _LARGE:
        return (
            "This number is too large." if kind.startswith("less") else "This number is too small."
        )
    strict = kind in ("greater_than", "less_than")
    if kind.startswith("greater"):
        return f"Enter a number above {bound}." if strict else f"Enter {bound} or more."
    return f"Enter a number below {bound}." if strict else f"Enter {bound} or less."
