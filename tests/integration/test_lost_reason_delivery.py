"""A move to Lost carries its reason to webhook receivers (issue 13, item 13): in the lead
and in what changed, verified with `standardwebhooks` as a receiver would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from leadstreams.domain.roles import Role
from leadstreams.schemas.leads import LeadUpdate
from leadstreams.services import leads
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.services.webhook_sender import send_due
from tests.support import builders
from tests.support.receiver import Receiver
from tests.support.webhooks import make_leads, subscribe, verified


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.release.set()
    found.stop()


def test_the_stage_change_to_lost_delivers_its_reason(ctx: Context, receiver: Receiver) -> None:
    hooks = replace(ctx, settings=ctx.settings.model_copy(update={"webhook_allow_private": True}))
    subscribe(hooks, receiver.url)
    (lead_id,) = make_leads(hooks, 1)
    admin_id = builders.user(hooks, "admin@example.com", role="admin")
    admin = Principal(admin_id, "admin@example.com", "admin", Role.ADMIN, ())
    data = LeadUpdate(stage="lost", lost_reason="Went with a competitor")  # type: ignore[arg-type]
    leads.update_lead(hooks, who=admin, lead_id=lead_id, data=data)
    send_due(hooks)
    bodies = verified(receiver).values()
    (moved,) = [b for b in bodies if b["type"] == "lead.stage_changed"]
    body = moved["data"]
    assert isinstance(body, dict)
    assert body["change"] == {"from": "mql", "to": "lost", "lost_reason": "Went with a competitor"}
    assert body["lead"]["lost_reason"] == "Went with a competitor"
