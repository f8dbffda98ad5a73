"""A lead's mail as rendered: two parts, a fresh id and boundary each time, drawn without
touching the `random` module's shared state (the worker renders mail in its own thread)."""

from __future__ import annotations

import email
import random
from email import policy

from leadstreams.mail.render import LeadMail, render


def _lead(lead_id: int) -> LeadMail:
    return LeadMail(
        lead_id=lead_id, link=f"https://leads.example.com/leads/{lead_id}", contact_name="Eve",
        email="eve@acme.example", company="Acme", title=None, lead_score=5, streams=(),
        assignee=None,
    )  # fmt: skip


def test_each_mail_has_its_own_id_and_boundary_and_leaves_the_shared_random_state_alone() -> None:
    before = random.getstate()
    first, second = (render([_lead(n)], to="ann@example.com", sender="x@x.example") for n in (1, 2))
    assert random.getstate() == before
    assert first["Message-ID"] != second["Message-ID"]
    assert first.get_boundary() != second.get_boundary()
    parsed = email.message_from_bytes(first.as_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == first["Message-ID"]
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]
