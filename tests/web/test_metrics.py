"""/metrics: Prometheus text, open unless LEADSTREAMS_METRICS_TOKEN is set."""

from __future__ import annotations

from pydantic import SecretStr

from tests.support.api import Api


def test_metrics_are_open_by_default_and_for_the_token_only_when_one_is_set(api: Api) -> None:
    open_answer = api.anonymous.get("/metrics")
    assert open_answer.status_code == 200
    assert "leadstreams_events_ingested" in open_answer.text

    api.anonymous.app.state.ctx.settings.metrics_token = SecretStr("scrape-me")
    assert api.anonymous.get("/metrics").status_code == 401
    assert api.admin.get("/metrics").status_code == 401  # a user's token is not it
    wrong = {"Authorization": "Bearer scrape-you"}
    assert api.anonymous.get("/metrics", headers=wrong).status_code == 401
    right = api.anonymous.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert right.status_code == 200 and "leadstreams_leads_created" in right.text
