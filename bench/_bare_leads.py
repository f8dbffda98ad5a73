"""The bare endpoint of the lead board's HTTP floor (`leads_api_floor_vs_sql`): the same
framework and server as `leadstreams serve` (FastAPI on uvicorn, with httptools and uvloop,
one process tuned as `serve` tunes its own), a `GET /floor` that runs the benchmark's
hand-written read (`bench.lead_board.hand_page`, not a copy of it) on the same database copy
and answers its rows as JSON, and nothing else: no authentication, no service, no models.

A page is read as the service reads one: a connection from the pool, a deferred transaction
on SQLite (a read must not take the write lock), rolled back when the page is read.

Run by `bench.lead_board`: `python -m uvicorn bench._bare_leads:app_from_environment
--factory`, with `LEADSTREAMS_DATABASE_URL` set, once the board is loaded.
"""

from __future__ import annotations

import json
import os
from datetime import datetime

from fastapi import FastAPI, Response

from bench.lead_board import PAGE, hand_page, stream_teams
from leadstreams.cli.serve import _serving
from leadstreams.store.engine import make_engine


def app_from_environment() -> FastAPI:
    engine = make_engine(os.environ["LEADSTREAMS_DATABASE_URL"])
    with engine.connect() as connection:  # the bench reads them once, untimed, as well
        teams = stream_teams(connection.execution_options(sqlite_begin="DEFERRED"))
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/floor")
    def floor(
        stage: str | None = None, at: str | None = None, id: int | None = None,
        q: str | None = None, limit: int = PAGE,
    ) -> Response:  # fmt: skip
        after = None if at is None or id is None else (datetime.fromisoformat(at), id)
        with engine.connect() as connection:
            connection = connection.execution_options(sqlite_begin="DEFERRED")
            rows = hand_page(connection, stage=stage, after=after, q=q, limit=limit, teams=teams)
        return Response(json.dumps(rows).encode(), media_type="application/json")

    return _serving(app)
