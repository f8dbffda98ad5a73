from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from leadstreams.rules import FieldType, Op
from leadstreams.schemas.common import Name, SnakeName, Strict


class FieldCreate(Strict):
    name: SnakeName
    label: Name
    type: FieldType
    values: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=200
    )

    @model_validator(mode="after")
    def _enum_values(self) -> FieldCreate:
        if self.type is FieldType.ENUM and not self.values:
            raise ValueError("an enum field needs its allowed 'values'")
        if self.type is not FieldType.ENUM and self.values:
            raise ValueError("only enum fields take 'values'")
        return self


class FieldRead(BaseModel):
    name: str
    label: str
    type: FieldType
    values: list[str]
    builtin: bool


class VocabularyField(FieldRead):
    operators: list[Op]


class EventTypeRead(BaseModel):
    name: str
    verb: str
    noun: str
    builtin: bool


class VocabularyRead(BaseModel):
    """What rules may name, and the English of each operator (rules.describe's phrases:
    "{v}" is the value, "{v0}" and "{v1}" the ends of a between), for the rule editor."""

    fields: list[VocabularyField]
    event_types: list[EventTypeRead]
    property_operators: dict[FieldType, list[Op]]
    phrases: dict[Op, str]
    tag_phrases: dict[Op, str]
    # Operators by the value they take: "list", "days", "none", "number".
    operator_values: dict[str, list[Op]]
    # The operator a new condition on a field of each type starts with ("is at least" for
    # numbers: what a threshold rule, the usual one, asks).
    default_operators: dict[FieldType, Op]
