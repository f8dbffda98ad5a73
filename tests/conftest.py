from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, settings
from sqlalchemy import Engine, create_engine, make_url, text

from leadstreams.services.context import Context
from leadstreams.store.engine import make_engine
from leadstreams.store.migrate import upgrade
from tests.support.api import Api, make_api
from tests.support.service import make_context, reset

# Bounded example counts: "dev" for a quick local run, "ci" for the thorough run CI does.
settings.register_profile(
    "dev", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# "mutation" for scripts/mutation, which runs the tests once per mutant: few examples (the
# property tests take at most this many, see tests/support/examples.py) and no shrinking,
# since a failing example is all a mutant's verdict needs.
settings.register_profile(
    "mutation",
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

POSTGRES_URL = os.environ.get("LEADSTREAMS_TEST_POSTGRES_URL")


def _own_database(url: str) -> str:
    """Each pytest-xdist worker gets its own PostgreSQL database (`test_gw0`, ...): the
    fixture below drops and rebuilds the schema, which two workers must not share."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        found = text("SELECT 1 FROM pg_database WHERE datname = :n")
        if connection.execute(found, {"n": name}).first() is None:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("db") / "leadstreams.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("LEADSTREAMS_TEST_POSTGRES_URL is not set")
    engine = make_engine(_own_database(POSTGRES_URL))
    with engine.begin() as connection:  # a clean schema, built by the migrations
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on every database backend."""
    return request.getfixturevalue(f"{request.param}_engine")  # type: ignore[no-any-return]


@pytest.fixture
def ctx(engine: Engine) -> Context:
    """A service context on an emptied database, with a clock that stands still."""
    reset(engine)
    return make_context(engine, engine.url.render_as_string(hide_password=False))


@pytest.fixture
def api(ctx: Context) -> Api:
    """The real app, with a client logged in per role (admin, marketing, two sales users)."""
    return make_api(ctx)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under mutmut, the caches of the code start empty: mutmut runs each mutant's tests in
    a process forked from one that ran them all unmutated, and a cached result (a compiled
    explanation test, a built statement) would hand the mutant the original's work, so it
    survived untested (`compile_condition` did, behind `rules.explain._test`)."""
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    for name, module in list(sys.modules.items()):
        if name.startswith("leadstreams"):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`), every browser test runs in one worker: one
    browser and one live server for the session, as tests/e2e/conftest.py expects.

    Under mutmut, unit tests first and property tests last, each file's tests together:
    mutmut names a mutant's tests in no order and stops at the first failure, so the fast
    tests first kill most mutants in seconds.
    """
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("browser"))
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    tiers = {"unit": 0, "integration": 1, "property": 2}

    def key(item: pytest.Item) -> tuple[int, str]:
        path = item.nodeid.split("::")[0]
        return tiers.get(path.split("/")[1] if "/" in path else "", 1), path

    items.sort(key=key)
