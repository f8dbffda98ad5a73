"""Schemathesis over the OpenAPI document: no 5xx, every answer as documented."""

from __future__ import annotations

import traceback

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.support.api import Api

EXAMPLES = 12  # per operation (about 800 requests per database; the suite stays in budget)


def test_every_operation_answers_as_documented(api: Api) -> None:
    api.admin.app.state.ctx.settings.feed_seconds = 0.2  # the live feed's answers end soon
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.admin.app)
    headers = {"Authorization": api.admin.headers["Authorization"]}
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        cases = st.one_of(operation.as_strategy(generation_mode=mode) for mode in GenerationMode)

        @given(case=cases)
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            # Not "valid by the schema, so accepted": ids must exist, e-mails be real ones.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except (Exception, BaseExceptionGroup) as error:  # every operation is tried
            # the whole chain: a group's str() names only the count of what it holds
            failures[operation.label] = "".join(traceback.format_exception(error))[-4000:]
    assert not failures, "\n\n".join(f"{label}: {why}" for label, why in failures.items())
