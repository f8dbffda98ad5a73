"""What each screen shows, read in one read-only unit of work: one snapshot per screen.

Plain functions that take the context and return read models; the pages render them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadstreams.schemas.jobs import JobRead
from leadstreams.schemas.streams import StreamLogEntry, StreamRead
from leadstreams.services import fetch_history, streams
from leadstreams.services.context import Context
from leadstreams.services.vocabulary import vocabulary_description
from leadstreams.store import fields as fields_store
from leadstreams.store import jobs as jobs_store
from leadstreams.store import streams as streams_store
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
    vocabulary: dict[str, Any]  # what the rule editor offers
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
