"""A world of users, teams, streams and leads, built once per test module through the
services and put back in place before each test (see `snapshot.restore`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine

from leadstreams.services.context import Context
from tests.support.api import Api, make_api
from tests.support.service import make_context, reset
from tests.support.snapshot import Rows, database_rows, restore


@dataclass
class World:
    api: Api
    ctx: Context
    ids: dict[str, int]  # what was made, by name: {"lead": 3, "stream": 1, ...}

    def fill(self, value: Any) -> Any:
        """'{lead}' in a path or a body becomes the id of what was made under that name."""
        if isinstance(value, str):
            if value.startswith("{") and value.endswith("}") and value[1:-1] in self.ids:
                return self.ids[value[1:-1]]
            return value.format(**self.ids) if "{" in value else value
        if isinstance(value, dict):
            return {key: self.fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.fill(item) for item in value]
        return value

    def unchanged_since(self, before: Rows) -> bool:
        return database_rows(self.ctx.database.engine) == before


def build_world(engine: Engine, populate: Callable[[Api, Context], dict[str, int]]) -> World:
    """An emptied database, the API with a client per role, and what `populate` makes."""
    reset(engine)
    ctx = make_context(engine, engine.url.render_as_string(hide_password=False))
    api = make_api(ctx)
    return World(api, ctx, populate(api, ctx))


def module_world(populate: Callable[[Api, Context], dict[str, int]]) -> tuple[Any, Any]:
    """The fixtures `built` (the world, made once per module and backend) and `world` (put
    back in place before each test). In a test module: `built, world = module_world(fill)`."""

    @pytest.fixture(scope="module")
    def built(engine: Engine) -> tuple[World, Rows]:
        world = build_world(engine, populate)
        return world, database_rows(engine)

    @pytest.fixture
    def world(built: tuple[World, Rows]) -> World:
        made, rows = built
        restore(made.ctx.database.engine, rows)
        made.ctx.user_changes.record()  # users and teams put back by hand: the app forgets them
        return made

    return built, world
