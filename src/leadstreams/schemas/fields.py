from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from leadstreams.rules import FieldType
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
