"""Lead streams: create, edit, activate, deactivate, delete, preview; every change logged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, func, select

from leadstreams.domain.streams import StreamAction
from leadstreams.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from leadstreams.rules import Rule, RuleValidationError, Vocabulary, describe, dump, parse
from leadstreams.rules.compile_sql import to_sql
from leadstreams.schemas.streams import StreamCreate, StreamUpdate
from leadstreams.services.contacts import contact_read
from leadstreams.services.context import Context
from leadstreams.store import fields as fields_store
from leadstreams.store import jobs as jobs_store
from leadstreams.store import state
from leadstreams.store import streams as streams_store
from leadstreams.store.rule_columns import sql_columns
from leadstreams.store.tables import contacts
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


def _get(uow: UnitOfWork, stream_id: int, *, for_update: bool = False) -> RowMapping:
    finder = streams_store.get_for_update if for_update else streams_store.get
    row = finder(uow.connection, stream_id)
    if row is None:
        raise NotFound(f"no stream with id {stream_id}")
    return row


def create_stream(ctx: Context, *, data: StreamCreate, user_id: int | None) -> dict[str, Any]:
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
        stream = stream_read(uow, _get(uow, stream_id), vocabulary)
        uow.commit()
    return stream


def update_stream(
    ctx: Context, *, stream_id: int, data: StreamUpdate, user_id: int | None
) -> dict[str, Any]:
    """Allowed while active: the new rules apply to changes arriving after the edit (rule 8)."""
    with ctx.uow() as uow:
        row = _get(uow, stream_id, for_update=True)
        vocabulary = fields_store.vocabulary(uow.connection)
        given = data.model_dump(exclude_unset=True)
        if given.get("rules") is not None:
            given["rules"] = dump(parse_rules(given["rules"], vocabulary))
        if given.get("team_ids") is not None:
            _check_teams(uow, given["team_ids"])
        if given.get("name") is not None:
            _check_name(uow, given["name"], except_id=stream_id)
        changes = _changes(uow, row, given)
        if changes:
            _apply(uow, row, given, changes, user_id)
        stream = stream_read(uow, _get(uow, stream_id), vocabulary)
        uow.commit()
    return stream


def _changes(uow: UnitOfWork, row: RowMapping, given: dict[str, Any]) -> dict[str, Any]:
    old = dict(row) | {"team_ids": streams_store.team_ids(uow.connection, row["id"])}
    nullable = {"requalify_after_days"}
    return {
        key: {"from": old[key], "to": value}
        for key, value in given.items()
        if (value is not None or key in nullable) and old[key] != value
    }


def _apply(
    uow: UnitOfWork,
    row: RowMapping,
    given: dict[str, Any],
    changes: dict[str, Any],
    user_id: int | None,
) -> None:
    now = uow.clock.now()
    values = {key: change["to"] for key, change in changes.items() if key != "team_ids"}
    values |= {"updated_at": now, "version": row["version"] + 1}
    streams_store.update_values(uow.connection, stream_id=row["id"], values=values)
    if "team_ids" in changes:
        streams_store.set_teams(uow.connection, stream_id=row["id"], team_ids=given["team_ids"])
    streams_store.append_log(
        uow.connection,
        stream_id=row["id"],
        user_id=user_id,
        action=StreamAction.EDITED,
        changes=changes,
        at=now,
    )
    if row["active"]:
        state.bump_streams_revision(uow.connection)


def set_active(
    ctx: Context, *, stream_id: int, active: bool, user_id: int | None
) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = _get(uow, stream_id, for_update=True)
        if row["active"] != active:
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
        vocabulary = fields_store.vocabulary(uow.connection)
        stream = stream_read(uow, _get(uow, stream_id), vocabulary)
        uow.commit()
    return stream


def delete_stream(ctx: Context, *, stream_id: int, user_id: int | None) -> None:
    """Archives an inactive stream; its leads stay on the board (rule 9)."""
    with ctx.uow() as uow:
        row = _get(uow, stream_id, for_update=True)
        if row["active"]:
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
        uow.commit()


def get_stream(ctx: Context, *, stream_id: int) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        return stream_read(uow, _get(uow, stream_id), vocabulary)


def list_streams(ctx: Context) -> list[dict[str, Any]]:
    with ctx.uow(read_only=True) as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        counts = streams_store.lead_counts(uow.connection)
        last = streams_store.last_matched(uow.connection)
        teams = streams_store.team_ids_by_stream(uow.connection)
        return [
            _read(row, vocabulary, teams.get(row["id"], []), counts, last)
            for row in streams_store.all_live(uow.connection)
        ]


def stream_read(uow: UnitOfWork, row: RowMapping, vocabulary: Vocabulary) -> dict[str, Any]:
    counts = streams_store.lead_counts(uow.connection, row["id"])
    last = streams_store.last_matched(uow.connection, row["id"])
    teams = streams_store.team_ids(uow.connection, row["id"])
    return _read(row, vocabulary, teams, counts, last)


def _read(
    row: RowMapping,
    vocabulary: Vocabulary,
    team_ids: list[int],
    counts: dict[int, int],
    last: dict[int, Any],
) -> dict[str, Any]:
    fields = (
        "id",
        "name",
        "description",
        "rules",
        "active",
        "requalify_after_days",
        "activated_at",
        "history_fetched_at",
        "created_at",
        "updated_at",
        "version",
    )
    out = {name: row[name] for name in fields}
    out["rules_text"] = describe(parse(row["rules"], vocabulary), vocabulary)
    out |= {"team_ids": sorted(team_ids), "lead_count": counts.get(row["id"], 0)}
    out["last_matched_at"] = last.get(row["id"])
    return out


def stream_log(ctx: Context, *, stream_id: int) -> list[dict[str, Any]]:
    """Every change of the stream, oldest first: who, when, what (rule 8)."""
    with ctx.uow(read_only=True) as uow:
        _get(uow, stream_id)
        return [dict(row) for row in streams_store.read_log(uow.connection, stream_id)]


def preview(ctx: Context, *, stream_id: int, sample: int) -> dict[str, Any]:
    """How many contacts match the rules now (what fetch history would consider)."""
    with ctx.uow(read_only=True) as uow:
        row = _get(uow, stream_id)
        vocabulary = fields_store.vocabulary(uow.connection)
        condition = to_sql(
            parse(row["rules"], vocabulary), sql_columns(vocabulary), now=uow.clock.now()
        )
        connection = uow.connection
        matching = connection.scalar(select(func.count()).select_from(contacts).where(condition))
        query = select(contacts).where(condition).order_by(contacts.c.id).limit(sample)
        rows = list(connection.execute(query).mappings())
    return {"matching": matching or 0, "sample": [contact_read(r) for r in rows]}
