"""`GET/PUT /api/v1/teams/{id}/delivery` (api.md) and a lead's assignment history: the
settings read back as written; users outside the team, weights <= 0 and negative capacity
are refused with 422 naming the field, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import builders
from tests.support.api import Api
from tests.support.snapshot import database_rows
from tests.support.world import World, module_world


def _populate(api: Api, ctx: Any) -> dict[str, int]:
    second = builders.user(ctx, "second@example.com", team_ids=[api.team_id])
    outsider = builders.user(ctx, "outsider@example.com", team_ids=[api.other_team_id])
    return {"team": api.team_id, "sales_user": api.sales_id, "second": second, "outsider": outsider}


built, world = module_world(_populate)


def _path(world: World) -> str:
    return f"/api/v1/teams/{world.ids['team']}/delivery"


def test_a_team_never_configured_is_manual_with_e_mail_off(world: World) -> None:
    answer = world.api.sales.get(_path(world))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "team_id": world.ids["team"],
        "assignment": {"policy": "manual", "members": [], "fallback_user_id": None},
        "notify": {"mode": "off", "digest_minutes": 60},
    }


def test_settings_read_back_as_written_and_leads_get_assigned(world: World) -> None:
    ids = world.ids
    body = {
        "assignment": {
            "policy": "weighted",
            "members": [
                {"user_id": ids["second"], "weight": 3, "monthly_capacity": 10, "paused": False},
                {"user_id": ids["sales_user"], "weight": 1, "paused": True},
            ],
            "fallback_user_id": ids["sales_user"],
        },
        "notify": {"mode": "digest", "digest_minutes": 15},
    }
    answer = world.api.admin.put(_path(world), json=body)
    assert answer.status_code == 200, answer.text
    read = world.api.admin.get(_path(world)).json()
    assert read == answer.json()
    assert read["notify"] == {"mode": "digest", "digest_minutes": 15}
    assert [m["user_id"] for m in read["assignment"]["members"]] == sorted(
        [ids["second"], ids["sales_user"]]
    )
    builders.stream(world.ctx, builders.SCORE_AT_LEAST_50, team_ids=[ids["team"]])
    builders.contact(world.ctx, "hot@example.com", lead_score=90)
    [lead] = world.api.sales.get("/api/v1/leads").json()["items"]
    assert lead["assignee_id"] == ids["second"]
    history = world.api.sales.get(f"/api/v1/leads/{lead['id']}/assignments").json()
    assert [(h["user_id"], h["policy"], h["team_id"]) for h in history] == [
        (ids["second"], "weighted", ids["team"])
    ]
    assert "furthest behind their share" in history[0]["reason"]
    # By hand always wins, and is recorded with who did it.
    moved = world.api.sales.patch(f"/api/v1/leads/{lead['id']}", json={"assignee_id": None})
    assert moved.status_code == 200
    history = world.api.sales.get(f"/api/v1/leads/{lead['id']}/assignments").json()
    assert (history[-1]["policy"], history[-1]["user_id"], history[-1]["by_user_id"]) == (
        "hand", None, ids["sales_user"],
    )  # fmt: skip
    counted = world.api.admin.get(_path(world)).json()["assignment"]["members"]
    assert {m["user_id"]: m["assigned_this_month"] for m in counted} == {
        ids["second"]: 1, ids["sales_user"]: 0,
    }  # fmt: skip


def _member(**extra: Any) -> dict[str, Any]:
    return {"assignment": {"policy": "weighted", "members": [{"user_id": "{second}", **extra}]}}


TWICE = {"policy": "round_robin", "members": [{"user_id": "{second}"}, {"user_id": "{second}"}]}
OUTSIDE_FALLBACK = {"policy": "round_robin", "fallback_user_id": "{outsider}"}
BAD: list[tuple[dict[str, Any], str]] = [
    (_member(weight=0), "assignment.members[0].weight"),
    (_member(weight=-2), "assignment.members[0].weight"),
    (_member(monthly_capacity=-1), "assignment.members[0].monthly_capacity"),
    (
        {"assignment": {"policy": "round_robin", "members": [{"user_id": "{outsider}"}]}},
        "assignment.members[0].user_id",
    ),
    (
        {"assignment": TWICE},
        "assignment.members[1].user_id",
    ),
    ({"assignment": OUTSIDE_FALLBACK}, "assignment.fallback_user_id"),
    ({"assignment": {"policy": "lottery"}}, "assignment.policy"),
    ({"notify": {"mode": "digest", "digest_minutes": 0}}, "notify.digest_minutes"),
    ({"notify": {"mode": "hourly"}}, "notify.mode"),
]


@pytest.mark.parametrize(("body", "path"), BAD, ids=[p for _, p in BAD])
def test_bad_settings_are_422_naming_the_field_and_nothing_is_written(
    world: World, body: dict[str, Any], path: str
) -> None:
    before = database_rows(world.ctx.database.engine)
    answer = world.api.admin.put(_path(world), json=world.fill(body))
    assert answer.status_code == 422, answer.text
    assert path in [d["path"] for d in answer.json()["error"]["details"]]
    assert world.unchanged_since(before)


def test_an_unknown_team_is_404(world: World) -> None:
    assert world.api.admin.get("/api/v1/teams/999999/delivery").status_code == 404
    answer = world.api.admin.put("/api/v1/teams/999999/delivery", json={})
    assert answer.status_code == 404


def test_each_user_opts_out_of_e_mail_for_themselves(world: World) -> None:
    assert world.api.sales.get("/api/v1/me/notifications").json() == {"email": True}
    assert world.api.sales.put("/api/v1/me/notifications", json={"email": False}).status_code == 200
    assert world.api.sales.get("/api/v1/me/notifications").json() == {"email": False}
    assert world.api.other_sales.get("/api/v1/me/notifications").json() == {"email": True}
