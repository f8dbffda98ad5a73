"""Lead scoring's use cases: score sets (create, edit, activate, deactivate, preview, the
default sets), manual adjustments, and a contact's score with its history.

A change to an active set bumps the streams revision (every process reloads the score rules
with the streams, `services/live.py`) and queues a recompute of every contact
(`services/score_jobs.py`).
"""

from __future__ import annotations

from typing import Any

from leadstreams.engine.score_index import expires_at
from leadstreams.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from leadstreams.rules import Rule, RuleValidationError, Vocabulary, describe, dump, parse, reads
from leadstreams.schemas.jobs import JobRead
from leadstreams.schemas.scoring import (
    ContactScore,
    ContactScoreRule,
    RuleCount,
    ScoreAdjustmentCreate,
    ScoreAdjustmentRead,
    ScoreBucket,
    ScoreHistoryItem,
    ScoreRuleRead,
    ScoreRuleWrite,
    ScoreSetCreate,
    ScoreSetPreview,
    ScoreSetRead,
    ScoreSetUpdate,
)
from leadstreams.services import score_jobs
from leadstreams.services.auth import Principal
from leadstreams.services.contacts import read_contact
from leadstreams.services.context import Context
from leadstreams.services.matching import load_contacts
from leadstreams.services.score_live import rescore
from leadstreams.store import contacts as contacts_store
from leadstreams.store import fields as fields_store
from leadstreams.store import jobs as jobs_store
from leadstreams.store import scores as scores_store
from leadstreams.store import state
from leadstreams.store.scores import ScoreSet
from leadstreams.store.uow import UnitOfWork

# A score rule may not read the score itself (it would feed on its own result) nor the lead
# stage (it changes as the streams match, after the score is computed).
UNREADABLE = {"lead_score": "the score itself", "lead_stage": "the lead stage"}


def parse_criteria(rules: list[ScoreRuleWrite], vocabulary: Vocabulary) -> list[Rule]:
    """Each rule's criteria parsed, or InvalidInput listing every issue with its path
    (`rules[i].criteria...`), as for streams."""
    parsed: list[Rule] = []
    details: list[ErrorDetail] = []
    for n, rule in enumerate(rules):
        tree, issues = _criteria(rule.criteria, vocabulary, f"rules[{n}].criteria")
        details += issues
        if tree is not None:
            parsed.append(tree)
    if details:
        raise InvalidInput("the score rules are not valid", details)
    return parsed


def _criteria(raw: Any, vocabulary: Vocabulary, path: str) -> tuple[Rule | None, list[ErrorDetail]]:
    try:
        tree = parse(raw, vocabulary, path=path)
    except RuleValidationError as error:
        return None, [ErrorDetail(issue.path, issue.message) for issue in error.issues]
    unreadable = sorted(reads(tree).fields & UNREADABLE.keys())
    issues = [
        ErrorDetail(path, f"score rules cannot read {n} ({UNREADABLE[n]})") for n in unreadable
    ]
    return (None if issues else tree), issues


def criteria_issues(ctx: Context, *, raw: Any, path: str) -> list[ErrorDetail]:
    """The issues of one rule's criteria (for a form that shows them beside other errors)."""
    with ctx.uow(read_only=True) as uow:
        return _criteria(raw, fields_store.vocabulary(uow.connection), path)[1]


def _rules_json(rules: list[ScoreRuleWrite], parsed: list[Rule]) -> list[dict[str, Any]]:
    return [
        {"name": rule.name, "criteria": dump(tree), "points": rule.points}
        for rule, tree in zip(rules, parsed, strict=True)
    ]


def _check_name(uow: UnitOfWork, name: str, except_id: int | None = None) -> None:
    if scores_store.name_taken(uow.connection, name_key=name.lower(), except_id=except_id):
        raise Conflict(
            f"a score set named {name!r} exists already", [ErrorDetail("name", "already taken")]
        )


def _get(uow: UnitOfWork, set_id: int, *, for_update: bool = False) -> ScoreSet:
    found = scores_store.get_set(uow.connection, set_id, for_update=for_update)
    if found is None:
        raise NotFound(f"no score set with id {set_id}")
    return found


def create_set(ctx: Context, *, data: ScoreSetCreate, user_id: int | None) -> ScoreSetRead:
    with ctx.uow() as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        rules = _rules_json(data.rules, parse_criteria(data.rules, vocabulary))
        _check_name(uow, data.name)
        now = uow.clock.now()
        values = {"name": data.name, "name_key": data.name.lower(),
                  "description": data.description, "active": False, "created_at": now,
                  "updated_at": now, "version": 1}  # fmt: skip
        set_id = scores_store.create_set(uow.connection, values=values)
        scores_store.replace_rules(uow.connection, set_id=set_id, rules=rules)
        if data.active:
            _switch(uow, set_id, active=True, user_id=user_id)
        created = read_set(uow, set_id, vocabulary)
        uow.commit()
    return created


def update_set(
    ctx: Context, *, set_id: int, data: ScoreSetUpdate, user_id: int | None
) -> ScoreSetRead:
    """An edit of an active set applies live at once, and every contact is recomputed."""
    with ctx.uow() as uow:
        current = _get(uow, set_id, for_update=True)
        vocabulary = fields_store.vocabulary(uow.connection)
        values: dict[str, Any] = {}
        if data.rules is not None:
            rules = _rules_json(data.rules, parse_criteria(data.rules, vocabulary))
            scores_store.replace_rules(uow.connection, set_id=set_id, rules=rules)
            values["version"] = current.version + 1
        if data.name is not None and data.name != current.name:
            _check_name(uow, data.name, except_id=set_id)
            values |= {"name": data.name, "name_key": data.name.lower()}
        if data.description is not None:
            values["description"] = data.description
        if values:
            values["updated_at"] = uow.clock.now()
            scores_store.update_set(uow.connection, set_id=set_id, values=values)
        if data.active is not None and data.active != current.active:
            _switch(uow, set_id, active=data.active, user_id=user_id)
        elif current.active and data.rules is not None:
            _changed(uow, f"score set {set_id} edited", user_id)
        updated = read_set(uow, set_id, vocabulary)
        uow.commit()
    return updated


def set_active(ctx: Context, *, set_id: int, active: bool, user_id: int | None) -> ScoreSetRead:
    with ctx.uow() as uow:
        current = _get(uow, set_id, for_update=True)
        if current.active != active:
            _switch(uow, set_id, active=active, user_id=user_id)
        updated = read_set(uow, set_id, fields_store.vocabulary(uow.connection))
        uow.commit()
    return updated


def _switch(uow: UnitOfWork, set_id: int, *, active: bool, user_id: int | None) -> None:
    """Activate or deactivate. The first set activated turns each contact's score (beyond its
    adjustments) into an "imported score" adjustment, so that no score is lost."""
    now = uow.clock.now()
    if active and not scores_store.any_active(uow.connection):
        scores_store.import_scores(uow.connection, now=now)
    scores_store.update_set(uow.connection, set_id=set_id,
                            values={"active": active, "updated_at": now})  # fmt: skip
    verb = "activated" if active else "deactivated"
    _changed(uow, f"score set {set_id} {verb}", user_id)


def _changed(uow: UnitOfWork, reason: str, user_id: int | None) -> None:
    """The active score rules changed: every process reloads them, every contact is redone."""
    state.bump_streams_revision(uow.connection)
    score_jobs.queue_recompute(uow, reason=reason, user_id=user_id)


def read_set(uow: UnitOfWork, set_id: int, vocabulary: Vocabulary) -> ScoreSetRead:
    found = _get(uow, set_id)
    rules = scores_store.rules_of(uow.connection, [set_id])[set_id]
    return _set_read(found, rules, vocabulary, _recompute(uow))


def _recompute(uow: UnitOfWork) -> JobRead | None:
    latest = jobs_store.latest_of_kind(uow.connection, kind=score_jobs.SCORE_RECOMPUTE)
    return JobRead.model_validate(latest) if latest is not None else None


def _set_read(
    found: ScoreSet,
    rules: list[scores_store.ScoreRuleRow],
    vocabulary: Vocabulary,
    recompute: JobRead | None,
) -> ScoreSetRead:
    return ScoreSetRead(
        id=found.id,
        name=found.name,
        description=found.description,
        active=found.active,
        rules=[
            ScoreRuleRead(
                id=rule.id,
                name=rule.name,
                criteria=rule.criteria,
                criteria_text=describe(parse(rule.criteria, vocabulary), vocabulary),
                points=rule.points,
            )
            for rule in rules
        ],
        created_at=found.created_at,
        updated_at=found.updated_at,
        version=found.version,
        recompute=recompute,
    )


def list_sets(ctx: Context) -> list[ScoreSetRead]:
    with ctx.uow(read_only=True) as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        found = scores_store.list_sets(uow.connection)
        rules = scores_store.rules_of(uow.connection, [s.id for s in found])
        recompute = _recompute(uow)
        return [_set_read(s, rules[s.id], vocabulary, recompute) for s in found]


def get_set(ctx: Context, *, set_id: int) -> ScoreSetRead:
    with ctx.uow(read_only=True) as uow:
        return read_set(uow, set_id, fields_store.vocabulary(uow.connection))


def preview(ctx: Context, *, set_id: int) -> ScoreSetPreview:
    """How many contacts each rule gives points to now, and the totals the set would give
    (without adjustments), both in SQL."""
    with ctx.uow(read_only=True) as uow:
        _get(uow, set_id)
        vocabulary = fields_store.vocabulary(uow.connection)
        rows = scores_store.rules_of(uow.connection, [set_id])[set_id]
        trees = [parse(row.criteria, vocabulary) for row in rows]
        now = uow.clock.now()
        counts = scores_store.contacts_per_rule(uow.connection, trees, vocabulary, now=now)
        totals = scores_store.distribution(
            uow.connection, [(t, r.points) for t, r in zip(trees, rows, strict=True)],
            vocabulary, now=now,
        )  # fmt: skip
    return ScoreSetPreview(
        rules=[
            RuleCount(rule_id=row.id, name=row.name, points=row.points, contacts=count)
            for row, count in zip(rows, counts, strict=True)
        ],
        distribution=[ScoreBucket(score=s, contacts=n) for s, n in sorted(totals.items())],
    )


# --- the default sets -------------------------------------------------------------------------


def _engaged(event: str, points: int, name: str) -> dict[str, Any]:
    return {"name": name, "criteria": {"event": event, "within_days": 90}, "points": points}


def _filled(field: str, label: str) -> dict[str, Any]:
    return {"name": f"{label} filled", "criteria": {"field": field, "op": "is_set"}, "points": 2}


DEFAULT_SETS: list[dict[str, Any]] = [
    {
        "name": "Engagement",
        "description": "Recent activity: forms, page visits, e-mail clicks and opens (90 days).",
        "rules": [
            _engaged("form_submitted", 15, "Submitted any form"),
            _engaged("page_visited", 10, "Visited any page"),
            _engaged("email_clicked", 5, "Clicked an email link"),
            _engaged("email_opened", 5, "Opened an email"),
        ],
    },
    {
        "name": "Persona",
        "description": "A known person: 2 points per filled profile field.",
        "rules": [
            _filled("first_name", "First name"),
            _filled("last_name", "Last name"),
            _filled("title", "Title"),
            _filled("company", "Company"),
            _filled("country", "Country"),
            _filled("phone", "Phone"),
        ],
    },
]


def install_defaults(ctx: Context, *, user_id: int | None) -> list[ScoreSetRead]:
    """The default sets, inactive, each unless a set of its name exists; the sets made."""
    made = []
    for default in DEFAULT_SETS:
        with ctx.uow(read_only=True) as uow:
            taken = scores_store.name_taken(uow.connection, name_key=default["name"].lower())
        if not taken:
            made.append(
                create_set(ctx, data=ScoreSetCreate.model_validate(default), user_id=user_id)
            )
    return made


# --- adjustments and a contact's score --------------------------------------------------------


def add_adjustment(
    ctx: Context, *, contact_id: int, data: ScoreAdjustmentCreate, user_id: int | None
) -> ScoreAdjustmentRead:
    """Kept in the history; the score and the streams on it follow in the same transaction."""
    with ctx.uow() as uow:
        if not contacts_store.existing_ids(uow.connection, [contact_id]):
            raise NotFound(f"no contact with id {contact_id}")
        index = ctx.live.current(uow)
        if not index.scoring.any_active:
            raise Conflict("no score set is active: lead_score is written directly")
        now = uow.clock.now()
        values = {"contact_id": contact_id, "points": data.points, "reason": data.reason,
                  "expires_at": data.expires_at, "user_id": user_id, "created_at": now}  # fmt: skip
        adjustment_id = scores_store.add_adjustment(uow.connection, values=values)
        cause = {"cause": "adjustment", "adjustment_id": adjustment_id, "points": data.points,
                 "reason": data.reason}  # fmt: skip
        rescore(uow, index=index, contact_ids=[contact_id], cause=cause)
        contact = contacts_store.get(uow.connection, contact_id=contact_id)
        assert contact is not None
        uow.commit()
    return ScoreAdjustmentRead(
        id=adjustment_id, contact_id=contact_id, points=data.points, reason=data.reason,
        expires_at=data.expires_at, created_at=now, lead_score=contact.lead_score,
    )  # fmt: skip


def contact_score(ctx: Context, *, who: Principal, contact_id: int) -> ContactScore:
    with ctx.uow(read_only=True) as uow:
        return read_contact_score(uow, ctx, who=who, contact_id=contact_id)


def read_contact_score(
    uow: UnitOfWork, ctx: Context, *, who: Principal, contact_id: int
) -> ContactScore:
    """The score, the rules giving points now with the date each one's points expire, the
    adjustments counting now, and the history (oldest first)."""
    contact = read_contact(uow, who=who, contact_id=contact_id)
    index = ctx.live.current(uow)
    scoring = index.scoring
    now = uow.clock.now()
    states = load_contacts(
        uow, index=index, contact_ids=[contact_id], candidates=[], extra_reads=scoring.reads
    )
    found = states.get(contact_id)
    giving: list[ContactScoreRule] = []
    if found is not None:
        for rule in scoring.rules:
            if rule.predicate(found.fields, found.events, now):
                until = expires_at(rule, found.fields, found.events, now)
                giving.append(ContactScoreRule(score_set=rule.score_set, rule=rule.name,
                                               points=rule.points, expires_at=until))  # fmt: skip
    adjustments = [
        ContactScoreRule(score_set="", rule=a.reason, points=a.points, expires_at=a.expires_at)
        for a in scores_store.adjustments_of(uow.connection, [contact_id])[contact_id]
        if a.active(now)
    ]
    history = [
        ScoreHistoryItem(at=row.at, value=row.value, reason=row.reason)
        for row in scores_store.history_of(uow.connection, contact_id=contact_id)
    ]
    return ContactScore(
        lead_score=contact.lead_score,
        computed=scoring.any_active,
        rules=giving,
        adjustments=adjustments if scoring.any_active else [],
        history=history,
    )
