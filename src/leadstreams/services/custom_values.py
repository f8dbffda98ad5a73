"""Custom field values checked against their definitions, every error named by its path."""

from __future__ import annotations

import difflib
import math
from typing import Any, NamedTuple

from leadstreams.domain.contacts import normalise_tags
from leadstreams.errors import ErrorDetail, error_path
from leadstreams.rules import FieldDef, FieldType, Vocabulary, limits
from leadstreams.rules.values import enum_value, parse_datetime

_TOO_LONG = f"expected a string of at most {limits.MAX_STRING_LENGTH} characters"


class CheckedValues(NamedTuple):
    """A tuple, so that a caller may unpack it: `values, errors = check_custom_values(...)`."""

    values: dict[str, Any]  # converted for storage; None removes a value
    errors: list[ErrorDetail]


def check_custom_values(values: dict[str, Any], vocabulary: Vocabulary) -> CheckedValues:
    """The values converted for storage, and every error found, each with its path."""
    out: dict[str, Any] = {}
    errors: list[ErrorDetail] = []
    custom = {n: f for n, f in vocabulary.fields.items() if not f.builtin}
    for name, value in values.items():
        path = error_path(("fields", name))
        definition = custom.get(name)
        if definition is None:
            close = difflib.get_close_matches(name, list(custom), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(ErrorDetail(path, f"unknown custom field {name!r}{hint}"))
            continue
        if value is None:
            out[name] = None
            continue
        converted, problem = _convert(definition, value)
        if problem:
            errors.append(ErrorDetail(path, problem))
        else:
            out[name] = converted
    return CheckedValues(out, errors)


def _convert(definition: FieldDef, value: Any) -> tuple[Any, str | None]:
    match definition.type:
        case FieldType.STRING:
            ok = isinstance(value, str) and len(value) <= limits.MAX_STRING_LENGTH
            return value, None if ok else _TOO_LONG
        case FieldType.NUMBER:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            ok = ok and math.isfinite(value) and abs(value) <= limits.MAX_ABS_NUMBER
            return value, None if ok else "expected a finite number"
        case FieldType.BOOLEAN:
            return value, None if isinstance(value, bool) else "expected true or false"
        case FieldType.DATETIME:
            return _datetime(value)
        case FieldType.ENUM:
            canonical = enum_value(value, definition.values)
            if canonical is not None:
                return canonical, None
            return value, f"expected one of {', '.join(definition.values)}"
        case FieldType.TAGS:
            ok = isinstance(value, list) and all(isinstance(t, str) and t for t in value)
            if not ok:
                return value, "expected a list of non-empty strings"
            return normalise_tags(value), None
    raise AssertionError(definition.type)  # pragma: no cover


def _datetime(value: Any) -> tuple[Any, str | None]:
    parsed = parse_datetime(value)
    if parsed is not None and parsed.year >= limits.MIN_STORED_YEAR:
        return parsed, None
    return value, "expected an ISO 8601 date or datetime"
