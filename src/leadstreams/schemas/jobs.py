"""Background jobs as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    stream_id: int | None
    status: str
    scanned: int
    total: int
    matches_created: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
