from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool

from leadstreams.store.engine import make_engine
from leadstreams.store.tables import metadata

# Bounded example counts: "dev" for a quick local run, "ci" for the thorough run CI does.
settings.register_profile(
    "dev", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

POSTGRES_URL = os.environ.get("LEADSTREAMS_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def sqlite_engine() -> Iterator[Engine]:
    engine = make_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("LEADSTREAMS_TEST_POSTGRES_URL is not set")
    engine = make_engine(POSTGRES_URL)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on every database backend."""
    return request.getfixturevalue(f"{request.param}_engine")  # type: ignore[no-any-return]
