"""`ingest_with_assignment`: events per second through ingestion when the streams' team
assigns every new lead (weighted, five members, one paused, capacities) and queues its
e-mail at once, divided by the rate when the team is manual with e-mail off (the common
case, one extra read per write). Two copies of the dataset, alternating batch by batch, the
order swapped every round; at least 10 rounds even in a quick run, as a batch takes ~0.3 s.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter

from sqlalchemy import func, select

from bench import _service
from bench._report import Figure, Outcome
from bench.data import TYPES, Size
from bench.ingest import (
    BATCH,
    _copy,
    _drop,
    _record,
    add_streams,
    batches,
    make_events,
    stream_rule,
)
from leadstreams.domain.assignment import Policy
from leadstreams.domain.notify import NotifyMode
from leadstreams.schemas.delivery import (
    AssignmentSettings,
    MemberSettings,
    NotifySettings,
    TeamDeliveryUpdate,
)
from leadstreams.schemas.users import UserCreate
from leadstreams.services import team_delivery, users
from leadstreams.services.context import Context
from leadstreams.store.tables import lead_assignments


def _assigning(ctx: Context) -> None:
    """The bench team (made by `add_streams`) assigns by weight and mails at once."""
    [team] = users.list_teams(ctx)
    people = [
        users.create_user(
            ctx,
            data=UserCreate(email=f"s{n}@example.com", name=f"S{n}", role="sales",  # type: ignore[arg-type]
                            password="bench password", team_ids=[team.id]),
        ).id
        for n in range(5)
    ]  # fmt: skip
    members = [
        MemberSettings(user_id=u, weight=1 + n % 3, paused=n == 4, monthly_capacity=10**6)
        for n, u in enumerate(people)
    ]
    data = TeamDeliveryUpdate(
        assignment=AssignmentSettings(policy=Policy.WEIGHTED, members=members),
        notify=NotifySettings(mode=NotifyMode.IMMEDIATE),
    )
    team_delivery.put_delivery(ctx, team_id=team.id, data=data)


def ingest_with_assignment(size: Size, backend: str, rounds: int) -> Outcome:
    rounds = max(rounds, 10)
    contexts = {}
    for name in ("manual", "assigning"):
        contexts[name] = _service.context(_copy(backend, size, f"bench_assign_{name}"))
        add_streams(contexts[name], [stream_rule(k, TYPES[k % 4]) for k in range(100)])
    _assigning(contexts["assigning"])
    events = list(batches(make_events(size, (rounds + 1) * BATCH), "a"))
    spent = _swapping({name: lambda k, c=c: _record(c, events[k])
                       for name, c in contexts.items()}, rounds)  # fmt: skip
    leads = _count(contexts["assigning"])
    for ctx in contexts.values():
        ctx.database.engine.dispose()
        _drop(ctx.settings.database_url)
    rate = {name: rounds * BATCH / seconds for name, seconds in spent.items()}
    note = (f"{rate['assigning']:,.0f} vs {rate['manual']:,.0f} events/s, {backend}, "
            f"{leads} leads assigned")  # fmt: skip
    details = {"ingest_with_assignment_events_per_s": {k: round(v) for k, v in rate.items()},
               "ingest_with_assignment_leads_assigned": leads}  # fmt: skip
    figure = Figure("ingest_with_assignment", rate["assigning"] / rate["manual"], ">= 0.9", note)
    return Outcome([figure], details)


def _swapping(contestants: dict[str, Callable[[int], None]], rounds: int) -> dict[str, float]:
    """As `ingest.alternate`, but the order swaps every round: with two identical
    contestants, whichever ran second was 25% slower here (the first one's garbage and the
    page cache), a bias the ratio must not carry."""
    spent = dict.fromkeys(contestants, 0.0)
    names = list(contestants)
    for k in range(rounds + 1):
        for name in names if k % 2 else reversed(names):
            started = perf_counter()
            contestants[name](k)
            if k:
                spent[name] += perf_counter() - started
    return spent


def _count(ctx: Context) -> int:
    with ctx.uow(read_only=True) as uow:
        return int(uow.connection.scalar(select(func.count()).select_from(lead_assignments)) or 0)
