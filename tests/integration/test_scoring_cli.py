"""`leadstreams scoring ...`, and the worker's loop sweeping expired points."""

from __future__ import annotations

import json
import threading
import time

from click.testing import CliRunner, Result

from leadstreams.cli import cli
from leadstreams.clock import FixedClock
from leadstreams.schemas.scoring import ScoreSetCreate
from leadstreams.services import scoring
from leadstreams.services.context import Context
from leadstreams.store import contacts as contacts_store
from leadstreams.worker import run_worker
from tests.support import builders
from tests.support.service import START


def run(ctx: Context, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database-url", ctx.settings.database_url, *args])


def test_install_defaults_then_list_and_show(ctx: Context) -> None:
    installed = run(ctx, "scoring", "install-defaults")
    assert installed.exit_code == 0, installed.output
    assert "'Engagement' (4 rules)" in installed.stdout
    assert "'Persona' (6 rules)" in installed.stdout
    again = run(ctx, "scoring", "install-defaults")
    assert again.stdout == "The default score sets are installed already.\n"
    listed = run(ctx, "scoring", "list").stdout.splitlines()
    assert listed[0].split() == ["ID", "NAME", "ACTIVE", "RULES"]
    assert [line.split()[1:] for line in listed[1:]] == [
        ["Engagement", "no", "4"],
        ["Persona", "no", "6"],
    ]
    set_id = json.loads(run(ctx, "scoring", "list", "--json").stdout)[1]["id"]
    shown = json.loads(run(ctx, "scoring", "show", str(set_id)).stdout)
    assert shown["rules"][0]["criteria_text"] == "First name is set"
    missing = run(ctx, "scoring", "show", "404")
    assert missing.exit_code == 1 and "no score set with id 404" in missing.stderr


def _score(ctx: Context, contact_id: int) -> int:
    with ctx.uow(read_only=True) as uow:
        found = contacts_store.get(uow.connection, contact_id=contact_id)
    assert found is not None
    return found.lead_score


def test_the_worker_loop_sweeps_expired_points(ctx: Context) -> None:
    rule = {"name": "Form", "criteria": {"event": "form_submitted", "within_days": 1},
            "points": 15}  # fmt: skip
    data = ScoreSetCreate.model_validate({"name": "Eng", "rules": [rule], "active": True})
    scoring.create_set(ctx, data=data, user_id=None)
    contact_id = builders.contact(ctx, "w@example.com")
    builders.event(ctx, "w@example.com", occurred_at=START)
    assert _score(ctx, contact_id) == 15
    update = {"worker_poll_seconds": 0.02, "score_sweep_seconds": 0.02}
    quick = Context(settings=ctx.settings.model_copy(update=update), database=ctx.database,
                    clock=ctx.clock)  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, kwargs={"ctx": quick, "stop": stop, "worker_name": "sweeper"}
    )
    thread.start()
    try:
        assert isinstance(ctx.clock, FixedClock)
        ctx.clock.advance(days=1, microseconds=1)
        deadline = time.monotonic() + 20
        while _score(ctx, contact_id) != 0:
            assert time.monotonic() < deadline, "the sweep never came"
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
