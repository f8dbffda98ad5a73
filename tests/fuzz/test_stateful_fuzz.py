"""Schemathesis's stateful phase: chains of operations that feed each other real ids (links
that Schemathesis infers from the OpenAPI document), so that operations on resources that
exist are reached too. Every answer as documented; what was created can be read back."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from leadstreams.main import create_app
from tests.support.api import Api
from tests.support.snapshot import database_rows, restore

SCENARIOS = 15  # per database, each of up to STEPS chained calls
STEPS = 6


def test_chains_of_operations_answer_as_documented(api: Api) -> None:
    ctx = api.admin.app.state.ctx
    ctx.settings.feed_seconds = 0.2  # the live feed's answers end soon
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.admin.app)
    machine = schema.as_state_machine()
    assert len(machine.bundles) >= 20, "the links between operations were not inferred"
    headers = {"Authorization": api.admin.headers["Authorization"]}
    start = database_rows(ctx.database.engine)

    class AsAdmin(machine):  # type: ignore[misc, valid-type]
        """Each scenario on the database as the fixture left it, and an app of its own (no
        cache of an earlier scenario), so that a scenario replays the same when shrunk."""

        def setup(self) -> None:
            restore(ctx.database.engine, start)
            self.app = create_app(ctx=ctx)

        def teardown(self) -> None:
            self.app.state.events.close()

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": headers, "app": self.app}

        def validate_response(
            self, response: Any, case: schemathesis.Case, *_: Any, **kwargs: Any
        ) -> None:
            # Not "valid by the schema, so accepted": ids must exist, e-mails be real ones.
            case.validate_response(
                response,
                excluded_checks=[positive_data_acceptance],
                transport_kwargs=kwargs,
                recorder=self.recorder,  # what the checks across steps look back at
            )

    AsAdmin.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
