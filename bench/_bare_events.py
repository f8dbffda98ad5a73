"""The bare endpoint of `http_cpu_per_event_vs_bare_endpoint`: the same framework and server
as `leadstreams serve` (FastAPI on uvicorn, with httptools and uvloop), a `POST
/api/v1/events` that inserts the same event row into the same table through the same engine
set-up, and nothing else: no authentication, no contact look-up, no rules, no batching.

Run by `bench.http`: `python -m uvicorn bench._bare_events:app_from_environment --factory`,
with `LEADSTREAMS_DATABASE_URL` set.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from leadstreams.store.engine import make_engine
from leadstreams.store.tables import events


class EventIn(BaseModel):
    event_id: str = Field(max_length=200)
    contact_id: int
    type: str = Field(max_length=100)
    properties: dict[str, Any] = Field(default_factory=dict)


def app_from_environment() -> FastAPI:
    engine = make_engine(os.environ["LEADSTREAMS_DATABASE_URL"])
    insert = events.insert()
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/events", status_code=201)
    def record(event: EventIn) -> dict[str, Any]:
        now = datetime.now(UTC)
        row = event.model_dump() | {"occurred_at": now, "received_at": now}
        with engine.begin() as connection:
            connection.execute(insert, row)
        return {"event_id": event.event_id, "matches": []}

    return app
