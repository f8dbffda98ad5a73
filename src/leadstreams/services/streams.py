"""Lead streams: create, edit, activate, deactivate, delete, preview; every change logged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from leadstreams.domain.streams import StreamAction
from leadstreams.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from leadstreams.rules import Rule, RuleValidationError, Vocabulary, describe, dump, parse
from leadstreams.schemas.streams import (
    StreamCreate,
    StreamLogEntry,
    StreamPreview,
    StreamRead,
    StreamUpdate,
)
from leadstreams.services.context import Context
from leadstreams.store import fields as fields_store
from leadstreams.store import jobs as jobs_store
from leadstreams.store import leads as leads_store
from leadstreams.store import state
from leadstreams.store import streams as streams_store
from leadstreams.store.streams import LogEntry, Stream
from leadstreams.store.uow import UnitOfWork


def parse_rules(raw: Any, vocabulary: Vocabulary) -> Rule:
    """The rule tree, or InvalidInput listing every issue with its path under `rules`."""
    try:
        return parse(raw, vocabulary, path="rules")
    except RuleValidationError as error:
        details = [ErrorDetail(issue.path, issue.message) for issue in error.issues]
        raise InvalidInput("the rules are not valid", details) from error


def _check_teams(uow: UnitOfWork, team_ids: list[int]) -> None:
    known = streams_store.existing_team_ids(uow.connection, team_ids)
    missing = [
        ErrorDetail(f"team_ids[{i}]", f"no team with id {team_id}")
        for i, team_id in enumerate(team_ids)
        if team_id not in known
    ]
    if missing:
        raise InvalidInput("unknown teams", missing)


def _check_name(uow: UnitOfWork, name: str, except_id: int | None = None) -> None:
    if streams_store.name_taken(uow.connection, name=name, except_id=except_id):
        raise Conflict(f"a stream named {name!r} exists already")


def _get(uow: UnitOfWork, stream_id: int, *, for_update: bool = False) -> Stream:
    finder = streams_store.get_for_update if for_update else streams_store.get
    stream = finder(uow.connection, stream_id)
    if stream is None:
        raise NotFound(f"no stream with id {stream_id}")
    return stream


def create_stream(ctx: Context, *, data: StreamCreate, user_id: int | None) -> StreamRead:
    with ctx.uow() as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        rules = dump(parse_rules(data.rules, vocabulary))  # stored in canonical form
        _check_teams(uow, data.team_ids)
        _check_name(uow, data.name)
        now = uow.clock.now()
        values = data.model_dump(exclude={"team_ids"}) | {"rules": rules}
        values |= {"active": False, "created_at": now, "updated_at": now, "version": 1}
        stream_id = streams_store.create(uow.connection, values=values)
        streams_store.set_teams(uow.connection, stream_id=stream_id, team_ids=data.team_ids)
        streams_store.append_log(
            uow.connection,
            stream_id=stream_id,
            user_id=user_id,
            action=StreamAction.CREATED,
            changes=data.model_dump(),
            at=now,
        )
        stream = read_stream(uow, stream_id=stream_id, vocabulary=vocabulary)
        uow.commit()
    return stream


def update_stream(
    ctx: Context, *, stream_id: int, data: StreamUpdate, user_id: int | None
) -> StreamRead:
    """Allowed while active: the new rules apply to changes arriving after the edit (rule 8)."""
    with ctx.uow() as uow:
        stream = _get(uow, stream_id, for_update=True)
        vocabulary = fields_store.vocabulary(uow.connection)
        given = data.model_dump(exclude_unset=True)
        if given.get("rules") is not None:
            given["rules"] = dump(parse_rules(given["rules"], vocabulary))
        if given.get("team_ids") is not None:
            _check_teams(uow, given["team_ids"])
        if given.get("name") is not None:
            _check_name(uow, given["name"], except_id=stream_id)
        changes = _changes(uow, stream, given)
        if changes:
            _apply(uow, stream, given, changes, user_id)
        updated = read_stream(uow, stream_id=stream_id, vocabulary=vocabulary)
        uow.commit()
    return updated


def _changes(uow: UnitOfWork, stream: Stream, given: dict[str, Any]) -> dict[str, Any]:
    old = asdict(stream) | {"team_ids": streams_store.team_ids(uow.connection, stream.id)}
    nullable = {"requalify_after_days"}
    return {
        key: {"from": old[key], "to": value}
        for key, value in given.items()
        if (value is not None or key in nullable) and old[key] != value
    }


def _apply(
    uow: UnitOfWork,
    stream: Stream,
    given: dict[str, Any],
    changes: dict[str, Any],
    user_id: int | None,
) -> None:
    now = uow.clock.now()
    values = {key: change["to"] for key, change in changes.items() if key != "team_ids"}
    values |= {"updated_at": now, "version": stream.version + 1}
    streams_store.update_values(uow.connection, stream_id=stream.id, values=values)
    if "team_ids" in changes:
        streams_store.set_teams(uow.connection, stream_id=stream.id, team_ids=given["team_ids"])
    streams_store.append_log(
        uow.connection,
        stream_id=stream.id,
        user_id=user_id,
        action=StreamAction.EDITED,
        changes=changes,
        at=now,
    )
    if stream.active:
        state.bump_streams_revision(uow.connection)
    _announce(uow, stream.id, "edited", also_teams=changes.get("team_ids", {}).get("from", []))


def set_active(ctx: Context, *, stream_id: int, active: bool, user_id: int | None) -> StreamRead:
    with ctx.uow() as uow:
        if _get(uow, stream_id, for_update=True).active != active:
            now = uow.clock.now()
            values: dict[str, Any] = {"active": active, "updated_at": now}
            if active:
                values["activated_at"] = now
            else:
                jobs_store.cancel_for_stream(uow.connection, stream_id=stream_id, at=now)
            streams_store.update_values(uow.connection, stream_id=stream_id, values=values)
            streams_store.append_log(
                uow.connection,
                stream_id=stream_id,
                user_id=user_id,
                action=StreamAction.ACTIVATED if active else StreamAction.DEACTIVATED,
                changes={},
                at=now,
            )
            state.bump_streams_revision(uow.connection)
            _announce(uow, stream_id, "activated" if active else "deactivated")
        vocabulary = fields_store.vocabulary(uow.connection)
        stream = read_stream(uow, stream_id=stream_id, vocabulary=vocabulary)
        uow.commit()
    return stream


def delete_stream(ctx: Context, *, stream_id: int, user_id: int | None) -> None:
    """Archives an inactive stream; its leads stay on the board (rule 9)."""
    with ctx.uow() as uow:
        if _get(uow, stream_id, for_update=True).active:
            raise Conflict("deactivate the stream before deleting it")
        now = uow.clock.now()
        streams_store.update_values(uow.connection, stream_id=stream_id, values={"deleted_at": now})
        streams_store.append_log(
            uow.connection,
            stream_id=stream_id,
            user_id=user_id,
            action=StreamAction.DELETED,
            changes={},
            at=now,
        )
        _announce(uow, stream_id, "deleted")
        uow.commit()


def _announce(
    uow: UnitOfWork, stream_id: int, what: str, *, also_teams: Sequence[int] = ()
) -> None:
    """Open boards and stream lists follow the change (`also_teams`: teams it left)."""
    teams = [*streams_store.team_ids(uow.connection, stream_id), *also_teams]
    leads_store.announce_stream(
        uow.connection, stream_id=stream_id, team_ids=teams, what=what, at=uow.clock.now()
    )


def get_stream(ctx: Context, *, stream_id: int) -> StreamRead:
    with ctx.uow(read_only=True) as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        return read_stream(uow, stream_id=stream_id, vocabulary=vocabulary)


def list_streams(ctx: Context) -> list[StreamRead]:
    with ctx.uow(read_only=True) as uow:
        return read_streams(uow, vocabulary=fields_store.vocabulary(uow.connection))


def read_stream(uow: UnitOfWork, *, stream_id: int, vocabulary: Vocabulary) -> StreamRead:
    """The stream (NotFound if there is none), read in the caller's unit of work."""
    stream = _get(uow, stream_id)
    counts = streams_store.lead_counts(uow.connection, stream.id)
    last = streams_store.last_matched(uow.connection, stream.id)
    teams = streams_store.team_ids(uow.connection, stream.id)
    return _read(stream, vocabulary, teams, counts, last)


def read_streams(uow: UnitOfWork, *, vocabulary: Vocabulary) -> list[StreamRead]:
    """Every stream not archived, by id, read in the caller's unit of work."""
    counts = streams_store.lead_counts(uow.connection)
    last = streams_store.last_matched(uow.connection)
    teams = streams_store.team_ids_by_stream(uow.connection)
    return [
        _read(stream, vocabulary, teams.get(stream.id, []), counts, last)
        for stream in streams_store.all_live(uow.connection)
    ]


def _read(
    stream: Stream,
    vocabulary: Vocabulary,
    team_ids: list[int],
    counts: dict[int, int],
    last: dict[int, datetime],
) -> StreamRead:
    return StreamRead(
        **asdict(stream),
        rules_text=describe(parse(stream.rules, vocabulary), vocabulary),
        team_ids=sorted(team_ids),
        lead_count=counts.get(stream.id, 0),
        last_matched_at=last.get(stream.id),
    )


def stream_log(ctx: Context, *, stream_id: int) -> list[StreamLogEntry]:
    """Every change of the stream, oldest first: who, when, what (rule 8)."""
    with ctx.uow(read_only=True) as uow:
        return [log_entry_read(entry) for entry in read_log(uow, stream_id=stream_id)]


def read_log(uow: UnitOfWork, *, stream_id: int) -> list[LogEntry]:
    """The log of a stream that exists (else NotFound), read in the caller's unit of work."""
    _get(uow, stream_id)
    return streams_store.read_log(uow.connection, stream_id)


def log_entry_read(entry: LogEntry) -> StreamLogEntry:
    return StreamLogEntry.model_validate(entry, from_attributes=True)


def preview(ctx: Context, *, stream_id: int, sample: int) -> StreamPreview:
    """How many contacts match the rules now (what fetch history would consider)."""
    with ctx.uow(read_only=True) as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        rule = parse(_get(uow, stream_id).rules, vocabulary)
        matching, contacts = streams_store.matching_contacts(
            uow.connection, rule=rule, vocabulary=vocabulary, now=uow.clock.now(), sample=sample
        )
    return StreamPreview(matching=matching, sample=contacts)
