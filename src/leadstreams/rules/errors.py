"""Errors of the rule language: one base, and a validation error that carries every issue."""

from __future__ import annotations

from dataclasses import dataclass


class RuleError(Exception):
    """Base of every error the rules package raises."""


@dataclass(frozen=True, slots=True)
class RuleIssue:
    path: str  # e.g. "rules.all[2].field"
    message: str  # a plain sentence, e.g. "unknown field 'leadscore' (did you mean 'lead_score'?)"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class RuleValidationError(RuleError):
    def __init__(self, issues: list[RuleIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(str(issue) for issue in issues))
