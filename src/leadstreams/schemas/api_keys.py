from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from leadstreams.domain.scopes import Scope
from leadstreams.schemas.common import Name, Strict


class ApiKeyCreate(Strict):
    name: Name
    scopes: list[Scope] = Field(min_length=1, max_length=10)

    @field_validator("scopes")
    @classmethod
    def _once_each(cls, scopes: list[Scope]) -> list[Scope]:
        return sorted(set(scopes))


class ApiKeyRead(BaseModel):
    id: int
    name: str
    scopes: list[Scope]
    prefix: str
    created_by: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str  # in full, shown this once
