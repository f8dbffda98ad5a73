"""The expiry sweep: points expire when the events that earn them leave their window.

Each contact keeps when its score can next change by time alone (`contact_scores.changes_at`,
indexed); the sweep reads only the contacts whose moment has come, a batch at a time, and
recomputes them live (`services.score_live.rescore`), which feeds a changed score to the
streams and sets the next moment. The contacts not due cost nothing: at a million contacts
a sweep with nothing due is one index probe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from leadstreams.engine.index import StreamIndex
from leadstreams.services.context import Context
from leadstreams.services.score_jobs import RecomputePlan, feed_moved, recompute_plan
from leadstreams.services.score_live import rescore
from leadstreams.store import scores as scores_store
from leadstreams.store.uow import UnitOfWork

log = logging.getLogger(__name__)
SWEEP_BATCH = 500  # contacts recomputed per transaction in Python (rules on dated fields)
SWEEP_BATCH_SQL = 5_000  # in SQL, where a batch costs a few statements whatever its size


def sweep(ctx: Context, *, batch: int = SWEEP_BATCH, sql_batch: int = SWEEP_BATCH_SQL) -> int:
    """Recompute every contact due now; how many were. Nothing while no set is active (the
    score is then written directly)."""
    swept = 0
    while True:
        with ctx.uow() as uow:
            index = ctx.live.current(uow)
            if not index.scoring.any_active:
                return swept
            plan = recompute_plan(uow, index)
            limit = sql_batch if plan.written is not None else batch
            due = scores_store.due(uow.connection, now=uow.clock.now(), limit=limit)
            if due:
                _rescore(uow, index, plan, due)
            uow.commit()
        swept += len(due)
        if len(due) < limit:
            return swept


def _rescore(uow: UnitOfWork, index: StreamIndex, plan: RecomputePlan, due: list[int]) -> None:
    """The due contacts recomputed in SQL (`store.score_writes`), or live in Python when the
    rules read dated fields; the contacts whose score moved fed to the streams."""
    if plan.written is None:
        rescore(uow, index=index, contact_ids=due, cause={"cause": "expiry"})
        return
    moved = plan.written.ids(uow.connection, due, now=uow.clock.now(), reason={"cause": "expiry"})
    feed_moved(uow, index, moved)


class Sweeper:
    """Runs `sweep` from a worker's loop every `score_sweep_seconds`."""

    def __init__(self, ctx: Context, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ctx, self.clock = ctx, clock
        self.next_at = clock()

    def tick(self) -> int:
        """Sweep when it is time; a failure is logged and tried again next time."""
        if self.clock() < self.next_at:
            return 0
        self.next_at = self.clock() + self.ctx.settings.score_sweep_seconds
        try:
            return sweep(self.ctx)
        except Exception:
            log.exception("score sweep failed; trying again in the next period")
            return 0
