"""The service's typed errors; `api.errors` maps each to one HTTP status, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    path: str
    message: str


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


class InvalidInput(LeadstreamsError):
    code = "invalid_input"

    @classmethod
    def at(cls, path: str, message: str) -> InvalidInput:
        return cls(f"{path}: {message}", [ErrorDetail(path, message)])
