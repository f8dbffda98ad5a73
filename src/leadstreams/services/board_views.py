"""The board's screens, each read in one read-only unit of work: one snapshot per screen.

The leads come from `services.leads` (which enforces who sees what); this module adds what
the screens need around them: the streams box, the teams and people to filter and assign by.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from leadstreams.domain.roles import Action, Role, may
from leadstreams.domain.stages import Stage
from leadstreams.schemas.contacts import ContactRead, Timeline
from leadstreams.schemas.leads import LeadPage, LeadRead, NoteRead, StageChangeRead
from leadstreams.services import contacts, feed, leads
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.services.leads import LeadQuery
from leadstreams.store import board_options
from leadstreams.store.board_options import Colleague, StreamOption, TeamOption
from leadstreams.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a lead can be assigned to."""

    id: int
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Cards:
    """Leads as the board shows them, with their assignees' names and the time to age them by."""

    items: list[LeadRead]
    next_cursor: str | None
    names: dict[int, str]
    now: datetime


@dataclass(frozen=True, slots=True)
class BoardScreen:
    columns: dict[Stage, LeadPage]
    feed_cursor: int  # the live updates resume from here
    streams: list[StreamOption]
    teams: list[TeamOption]
    people: list[Person]
    names: dict[int, str]
    now: datetime


@dataclass(frozen=True, slots=True)
class ContactCard:
    """A lead with its contact, streams (and why they matched), activity, notes and stages."""

    lead: LeadRead
    contact: ContactRead
    timeline: Timeline
    notes: list[NoteRead]
    stage_changes: list[StageChangeRead]
    descriptions: dict[int, str]  # of the lead's streams
    people: list[Person]
    names: dict[int, str]
    now: datetime


def board(ctx: Context, *, who: Principal, query: LeadQuery) -> BoardScreen:
    """The first page of every stage's column, and what the filters and streams box list.

    `feed_cursor` is read first: the page's live updates resume from it, so a change made
    while the page loads still reaches it (seen twice at worst, which the page shrugs off)."""
    who.require(Action.WORK_LEADS)
    with ctx.uow(read_only=True) as uow:
        feed_cursor = feed.latest(uow)
        columns = {
            stage: leads.read_page(uow, who=who, query=replace(query, stage=stage, cursor=None))
            for stage in Stage
        }
        teams = None if who.sees_all_leads else who.team_ids
        everyone = board_options.colleagues(uow.connection)
        return BoardScreen(
            columns=columns,
            feed_cursor=feed_cursor,
            streams=board_options.stream_options(uow.connection, team_ids=teams),
            teams=board_options.team_options(uow.connection, team_ids=teams),
            people=people(everyone, teams=teams, members=_members(uow, teams)),
            names=_names(everyone),
            now=uow.clock.now(),
        )


def column(ctx: Context, *, who: Principal, query: LeadQuery) -> Cards:
    """One page of leads (a column's next page, or one card), with the assignees' names."""
    who.require(Action.WORK_LEADS)
    with ctx.uow(read_only=True) as uow:
        found = leads.read_page(uow, who=who, query=query)
        return cards(uow, found.items, next_cursor=found.next_cursor)


def cards(uow: UnitOfWork, items: list[LeadRead], *, next_cursor: str | None) -> Cards:
    names = _names(board_options.colleagues(uow.connection))
    return Cards(items, next_cursor, names, uow.clock.now())


def contact_card(ctx: Context, *, who: Principal, lead_id: int, timeline_limit: int) -> ContactCard:
    who.require(Action.WORK_LEADS)
    with ctx.uow(read_only=True) as uow:
        lead = leads.read_lead(uow, who=who, lead_id=lead_id)  # 404 for a lead `who` may not see
        contact_id = lead.contact.id
        stream_ids = [match.stream_id for match in lead.matches]
        lead_teams = tuple(lead.team_ids)
        everyone = board_options.colleagues(uow.connection)
        return ContactCard(
            lead=lead,
            contact=contacts.read_contact(uow, who=who, contact_id=contact_id),
            timeline=contacts.read_timeline(
                uow, who=who, contact_id=contact_id, limit=timeline_limit, before_id=None
            ),
            notes=leads.read_notes(uow, who=who, lead_id=lead_id),
            stage_changes=leads.read_stage_changes(uow, who=who, lead_id=lead_id),
            descriptions=board_options.stream_descriptions(uow.connection, stream_ids=stream_ids),
            people=people(everyone, teams=lead_teams, members=_members(uow, lead_teams)),
            names=_names(everyone),
            now=uow.clock.now(),
        )


def _members(uow: UnitOfWork, teams: tuple[int, ...] | None) -> set[int]:
    return board_options.member_ids(uow.connection, team_ids=teams) if teams else set()


def people(
    everyone: list[Colleague], *, teams: tuple[int, ...] | None, members: set[int]
) -> list[Person]:
    """Active users who may work leads of these teams (every team for None), by name: admins,
    marketing, and the sales members (`members`) of these teams."""
    return [
        Person(user.id, user.name, user.email)
        for user in sorted(everyone, key=lambda user: user.name.lower())
        if user.active
        and may(Role(user.role), Action.WORK_LEADS)
        and (teams is None or user.role != Role.SALES or user.id in members)
    ]


def _names(everyone: list[Colleague]) -> dict[int, str]:
    return {user.id: user.name for user in everyone}
