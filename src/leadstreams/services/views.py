"""What each screen shows, read in one read-only unit of work: one snapshot per screen.

Plain functions that take the context and return read models; the pages render them. The
board's leads come from `services.leads` (which enforces who sees what); the board's screens
add what they need around them: the streams box, the teams and people to filter and assign by.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from leadstreams.domain.roles import Action, Role, may
from leadstreams.domain.stages import Stage
from leadstreams.schemas.contacts import ContactRead, Timeline
from leadstreams.schemas.delivery import LeadAssignmentRead
from leadstreams.schemas.fields import VocabularyRead
from leadstreams.schemas.jobs import JobRead
from leadstreams.schemas.leads import LeadPage, LeadRead, NoteRead, StageChangeRead
from leadstreams.schemas.scoring import ContactScore
from leadstreams.schemas.streams import StreamLogEntry, StreamRead
from leadstreams.services import contacts, feed, fetch_history, leads, scoring, streams
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.services.leads import LeadQuery
from leadstreams.services.vocabulary import vocabulary_description
from leadstreams.store import board_counts, board_options
from leadstreams.store import fields as fields_store
from leadstreams.store import jobs as jobs_store
from leadstreams.store import streams as streams_store
from leadstreams.store.board_options import Colleague, StreamOption, TeamOption
from leadstreams.store.streams import LogEntry
from leadstreams.store.uow import UnitOfWork

# -- lead streams ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamList:
    streams: list[StreamRead]
    team_names: dict[int, str]


@dataclass(frozen=True, slots=True)
class StreamSummary:
    """A stream as a user who may not change it sees it."""

    stream: StreamRead
    team_names: dict[int, str]


@dataclass(frozen=True, slots=True)
class LogLine:
    entry: StreamLogEntry
    who: str  # the user's name; "system" for a change no user made, or one since removed


@dataclass(frozen=True, slots=True)
class StreamEditor:
    """The create/edit screen; for a saved stream also its log (newest first) and a job."""

    stream: StreamRead | None
    teams: dict[int, str]  # every team a stream may deliver to, by id
    vocabulary: VocabularyRead  # what the rule editor offers
    log: list[LogLine]
    job: JobRead | None


def stream_list(ctx: Context) -> StreamList:
    with ctx.uow(read_only=True) as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        found = streams.read_streams(uow, vocabulary=vocabulary)
        return StreamList(found, streams_store.team_names(uow.connection))


def stream_summary(ctx: Context, *, stream_id: int) -> StreamSummary:
    with ctx.uow(read_only=True) as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        stream = streams.read_stream(uow, stream_id=stream_id, vocabulary=vocabulary)
        return StreamSummary(stream, streams_store.team_names(uow.connection))


def stream_editor(
    ctx: Context, *, stream_id: int | None = None, job_id: int | None = None
) -> StreamEditor:
    """A new stream's editor for None; a job is shown only if it belongs to the stream."""
    with ctx.uow(read_only=True) as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        teams = streams_store.team_names(uow.connection)
        described = vocabulary_description(vocabulary)
        if stream_id is None:
            return StreamEditor(None, teams, described, [], None)
        stream = streams.read_stream(uow, stream_id=stream_id, vocabulary=vocabulary)
        log = [_line(entry) for entry in reversed(streams.read_log(uow, stream_id=stream_id))]
        job = _job(uow, job_id) if job_id else None
        if job is not None and job.stream_id != stream_id:
            job = None
        return StreamEditor(stream, teams, described, log, job)


def _line(entry: LogEntry) -> LogLine:
    who = "system" if entry.user_name is None else entry.user_name
    return LogLine(streams.log_entry_read(entry), who)


def _job(uow: UnitOfWork, job_id: int) -> JobRead:
    return fetch_history.job_read(jobs_store.get(uow.connection, job_id))


# -- the lead board ---------------------------------------------------------------------------


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
    totals: dict[str, int] | None = None  # the columns' totals, when asked for
    team_names: dict[int, str] | None = None  # to say which teams see a shared lead


def live_cards(ctx: Context, *, who: Principal, query: LeadQuery) -> Cards:
    """The live feed's batch of cards, with the columns' totals as they are now."""
    who.require(Action.WORK_LEADS)
    with ctx.uow(read_only=True) as uow:
        found = leads.read_page(uow, who=who, query=query)
        totals = leads.count_by_stage(uow, who=who, query=query)
        return replace(cards(uow, found.items, next_cursor=None), totals=totals)


@dataclass(frozen=True, slots=True)
class BoardScreen:
    columns: dict[Stage, LeadPage]
    totals: dict[str, int]  # leads per stage that pass the filters (a column shows 25 at first)
    feed_cursor: int  # the live updates resume from here
    streams: list[StreamOption]
    lead_counts: dict[int, int]  # by stream id: its leads on the board
    teams: list[TeamOption]
    people: list[Person]
    names: dict[int, str]
    now: datetime
    team_names: dict[int, str]


@dataclass(frozen=True, slots=True)
class ContactCard:
    """A lead with its contact, streams (and why they matched), activity, notes and stages."""

    lead: LeadRead
    contact: ContactRead
    timeline: Timeline
    notes: list[NoteRead]
    stage_changes: list[StageChangeRead]
    assignments: list[LeadAssignmentRead]  # who or which policy assigned it, and why
    team_names: dict[int, str]
    descriptions: dict[int, str]  # of the lead's streams
    people: list[Person]
    names: dict[int, str]
    now: datetime
    score: ContactScore  # the score, the rules giving points now, its history


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
            totals=leads.count_by_stage(uow, who=who, query=query),
            feed_cursor=feed_cursor,
            streams=board_options.stream_options(uow.connection, team_ids=teams),
            lead_counts=board_counts.lead_counts(uow.connection),
            teams=board_options.team_options(uow.connection, team_ids=teams),
            people=people(everyone, teams=teams, members=_members(uow, teams)),
            names=_names(everyone),
            now=uow.clock.now(),
            team_names=streams_store.team_names(uow.connection),
        )


@dataclass(frozen=True, slots=True)
class StreamsBox:
    streams: list[StreamOption]
    lead_counts: dict[int, int]  # by stream id: its leads on the board


def streams_box(ctx: Context, *, who: Principal) -> StreamsBox:
    """The board's streams box alone: what an open board refreshes as leads arrive."""
    who.require(Action.WORK_LEADS)
    with ctx.uow(read_only=True) as uow:
        teams = None if who.sees_all_leads else who.team_ids
        return StreamsBox(
            streams=board_options.stream_options(uow.connection, team_ids=teams),
            lead_counts=board_counts.lead_counts(uow.connection),
        )


def column(ctx: Context, *, who: Principal, query: LeadQuery) -> Cards:
    """One page of leads (a column's next page, or one card), with the assignees' names."""
    who.require(Action.WORK_LEADS)
    with ctx.uow(read_only=True) as uow:
        found = leads.read_page(uow, who=who, query=query)
        return cards(uow, found.items, next_cursor=found.next_cursor)


def cards(uow: UnitOfWork, items: list[LeadRead], *, next_cursor: str | None) -> Cards:
    names = _names(board_options.colleagues(uow.connection))
    teams = streams_store.team_names(uow.connection)
    return Cards(items, next_cursor, names, uow.clock.now(), team_names=teams)


def contact_card(ctx: Context, *, who: Principal, lead_id: int, timeline_limit: int) -> ContactCard:
    who.require(Action.WORK_LEADS)
    with ctx.uow(read_only=True) as uow:
        leads.check_on_board(uow, who=who, lead_id=lead_id)  # LeadLeft: how it left the board
        lead = leads.read_lead(uow, who=who, lead_id=lead_id)  # 404 for a lead `who` may not see
        contact_id = lead.contact.id
        stream_ids = [match.stream_id for match in lead.matches]
        lead_teams = tuple(lead.team_ids)
        everyone = board_options.colleagues(uow.connection)
        return ContactCard(
            lead=lead,
            contact=contacts.read_contact(uow, who=who, contact_id=contact_id),
            timeline=contacts.read_timeline(
                uow, who=who, contact_id=contact_id, limit=timeline_limit, cursor=None
            ),
            notes=leads.read_notes(uow, who=who, lead_id=lead_id),
            stage_changes=leads.read_stage_changes(uow, who=who, lead_id=lead_id),
            assignments=leads.read_assignments(uow, who=who, lead_id=lead_id),
            team_names=streams_store.team_names(uow.connection),
            descriptions=board_options.stream_descriptions(uow.connection, stream_ids=stream_ids),
            people=people(everyone, teams=lead_teams, members=_members(uow, lead_teams)),
            names=_names(everyone),
            now=uow.clock.now(),
            score=scoring.read_contact_score(uow, ctx, who=who, contact_id=contact_id),
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
