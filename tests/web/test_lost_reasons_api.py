"""Lost with a reason (issue 13, item 13; api.md `lost_reason` on PATCH /leads/{id} and on
the lead): the reason is kept with the move, in the stage history, and forgotten by the lead
(not by its history) when it leaves Lost; the list the board offers is kept by admins."""

from __future__ import annotations

import pytest

from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import Api


def _lead(ctx: Context, api: Api) -> int:
    builders.stream(ctx, builders.SCORE_AT_LEAST_50, team_ids=[api.team_id])
    builders.contact(ctx, "ada@example.com", lead_score=70)
    (lead,) = api.sales.get("/api/v1/leads").json()["items"]
    return int(lead["id"])


def test_a_move_to_lost_keeps_its_reason_on_the_lead_and_in_the_stage_history(
    ctx: Context, api: Api
) -> None:
    lead_id = _lead(ctx, api)
    moved = api.sales.patch(
        f"/api/v1/leads/{lead_id}", json={"stage": "lost", "lost_reason": "  No budget  "}
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["stage"], moved.json()["lost_reason"]) == ("lost", "No budget")
    assert api.sales.get(f"/api/v1/leads/{lead_id}").json()["lost_reason"] == "No budget"
    corrected = api.sales.patch(f"/api/v1/leads/{lead_id}", json={"lost_reason": "Too small"})
    assert corrected.json()["lost_reason"] == "Too small"

    back = api.sales.patch(f"/api/v1/leads/{lead_id}", json={"stage": "sql"})
    assert (back.json()["stage"], back.json()["lost_reason"]) == ("sql", None)
    history = api.sales.get(f"/api/v1/leads/{lead_id}/stages").json()
    assert [(c["to_stage"], c["lost_reason"]) for c in history] == [
        ("mql", None), ("lost", "No budget"), ("sql", None),
    ]  # fmt: skip


def test_a_move_to_lost_without_a_reason_is_allowed_by_the_api(ctx: Context, api: Api) -> None:
    lead_id = _lead(ctx, api)
    moved = api.admin.patch(f"/api/v1/leads/{lead_id}", json={"stage": "lost"})
    assert (moved.status_code, moved.json()["lost_reason"]) == (200, None)


@pytest.mark.parametrize(
    "body",
    [
        {"stage": "sql", "lost_reason": "No budget"},  # a reason only goes with lost
        {"lost_reason": "No budget"},  # the lead is not lost
        {"stage": "lost", "lost_reason": "   "},
        {"stage": "lost", "lost_reason": "x" * 1001},
        {"stage": "lost", "lost_reason": 7},
    ],
)
def test_a_bad_lost_reason_is_refused_naming_it(
    ctx: Context, api: Api, body: dict[str, object]
) -> None:
    lead_id = _lead(ctx, api)
    answer = api.sales.patch(f"/api/v1/leads/{lead_id}", json=body)
    assert answer.status_code == 422, answer.text
    assert [d["path"] for d in answer.json()["error"]["details"]] == ["lost_reason"]
    assert api.sales.get(f"/api/v1/leads/{lead_id}").json()["stage"] == "mql"


def test_admins_keep_the_list_of_reasons_that_everyone_reads(api: Api) -> None:
    for label in ("No budget", "Went with a competitor"):
        assert api.admin.post("/api/v1/lost-reasons", json={"label": label}).status_code == 201
    again = api.admin.post("/api/v1/lost-reasons", json={"label": "no budget"})
    assert again.status_code == 409
    listed = api.sales.get("/api/v1/lost-reasons").json()
    assert [r["label"] for r in listed] == ["No budget", "Went with a competitor"]
    assert api.admin.delete(f"/api/v1/lost-reasons/{listed[0]['id']}").status_code == 204
    assert api.admin.delete(f"/api/v1/lost-reasons/{listed[0]['id']}").status_code == 404
    assert [r["label"] for r in api.marketing.get("/api/v1/lost-reasons").json()] == [
        "Went with a competitor"
    ]


@pytest.mark.parametrize("label", ["", "   ", "x" * 201, None])
def test_a_bad_reason_label_is_refused_naming_the_label(api: Api, label: object) -> None:
    answer = api.admin.post("/api/v1/lost-reasons", json={"label": label})
    assert answer.status_code == 422
    assert [d["path"] for d in answer.json()["error"]["details"]] == ["label"]
