"""The service's typed errors; `api.errors` maps each to one HTTP status, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    path: str  # as error_path writes it, e.g. "rules.all[2].field"
    message: str


def error_path(location: Iterable[Any]) -> str:
    """Where an error is, written one way everywhere: ('team_ids', 0, 'name') ->
    'team_ids[0].name' (list positions in brackets, names after dots); () -> ''."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return printable(path)


def printable(text: str) -> str:
    """`text` as an answer can carry it: a key of the input may hold a lone surrogate, which
    no UTF-8 answer can encode (it is written as its escape, \\ud800)."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class LeadstreamsError(Exception):
    code = "error"

    def __init__(self, message: str, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFound(LeadstreamsError):
    code = "not_found"


class Conflict(LeadstreamsError):
    code = "conflict"


class PermissionDenied(LeadstreamsError):
    code = "forbidden"


class Unauthenticated(LeadstreamsError):
    code = "unauthenticated"


class TooManyRequests(LeadstreamsError):
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds


class TooLarge(LeadstreamsError):
    code = "too_large"


class Malformed(LeadstreamsError):
    """A body that is not what the endpoint reads at all (not JSON, not a batch)."""

    code = "bad_request"


class InvalidInput(LeadstreamsError):
    code = "invalid_input"

    @classmethod
    def at(cls, path: str, message: str) -> InvalidInput:
        return cls(f"{path}: {message}", [ErrorDetail(path, message)])
