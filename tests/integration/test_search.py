"""Searching contacts and leads: one meaning of `q` (e-mail, names, company; any case)."""

from __future__ import annotations

from leadstreams.services import contacts, leads
from leadstreams.services.auth import principal
from leadstreams.services.context import Context
from leadstreams.services.leads import LeadQuery
from tests.support import builders


def _world(ctx: Context) -> int:
    team_id = builders.team(ctx)
    builders.stream(ctx, {"field": "lead_score", "op": "gte", "value": 50}, team_ids=[team_id])
    builders.contact(ctx, "ada@example.com", company="Nordic 100% AB", lead_score=60)
    builders.contact(ctx, "bob@example.com", first_name="Bob", company="Fjord", lead_score=70)
    return builders.user(ctx, "admin@example.com", role="admin")


def _contacts(ctx: Context, q: str) -> list[str]:
    return [c.email for c in contacts.search_contacts(ctx, q=q, limit=10, after_id=0)]


def _leads(ctx: Context, admin_id: int, q: str) -> list[str]:
    page = leads.list_leads(ctx, who=principal(ctx, user_id=admin_id), query=LeadQuery(q=q))
    return [lead.contact.email for lead in page.items]


def test_contacts_and_leads_are_found_by_email_name_or_company_in_any_case(ctx: Context) -> None:
    admin_id = _world(ctx)
    for q, found in [("NORDIC", ["ada@example.com"]), ("bob", ["bob@example.com"])]:
        assert _contacts(ctx, q) == found
        assert _leads(ctx, admin_id, q) == found


def test_percent_and_underscore_in_a_search_are_plain_characters(ctx: Context) -> None:
    admin_id = _world(ctx)
    assert _contacts(ctx, "%") == ["ada@example.com"]  # only the company with a '%' in it
    assert _leads(ctx, admin_id, "%") == ["ada@example.com"]
    assert _contacts(ctx, "b_b") == []
