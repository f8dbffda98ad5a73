"""The `leadstreams` command against real databases, and the job worker behind it."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import RowMapping
from sqlalchemy.exc import ProgrammingError

from leadstreams import demo
from leadstreams.cli import cli
from leadstreams.cli.serve import app_with_worker_from_environment
from leadstreams.services import fetch_history, jobs, streams, users
from leadstreams.services.context import Context
from leadstreams.store import jobs as jobs_store
from leadstreams.worker import run_pending_jobs, run_worker
from tests.support import builders
from tests.support.builders import SCORE_AT_LEAST_50


def run(ctx: Context, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database-url", ctx.settings.database_url, *args])


def job_row(ctx: Context, job_id: int) -> RowMapping:
    with ctx.uow(read_only=True) as uow:
        row = jobs_store.get(uow.connection, job_id)
    assert row is not None
    return row


def wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def scored_contacts_and_stream(ctx: Context, *, active: bool = True) -> int:
    """Contacts scored 60, 70 and 10 made before the stream: only history can find them."""
    for number, score in enumerate((60, 70, 10)):
        builders.contact(ctx, f"c{number}@example.com", lead_score=score)
    team_id = builders.team(ctx)
    return builders.stream(ctx, SCORE_AT_LEAST_50, team_ids=[team_id], active=active)


# -- init, users, teams, errors ---------------------------------------------------------------


def test_init_creates_the_admin_and_leaves_it_alone_when_run_again(ctx: Context) -> None:
    admin = ["init", "--admin-email", "Boss@Example.com", "--admin-password", "correct horse"]
    first = run(ctx, *admin)
    again = run(ctx, *admin)
    assert first.exit_code == 0, first.output
    assert "Created admin boss@example.com" in first.stdout
    assert again.exit_code == 0, again.output
    assert "exists already" in again.stdout
    assert [(u.email, u.role) for u in users.list_users(ctx)] == [("boss@example.com", "admin")]


def test_service_errors_print_one_line_per_problem_and_exit_1(ctx: Context) -> None:
    team_id = builders.team(ctx)
    result = run(
        ctx, "users", "create", "--email", "s@example.com", "--name", "S", "--role", "sales",
        "--password", "correct horse", "--team-id", str(team_id), "--team-id", "999",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == "error: team_ids[1]: no team with id 999\n"
    assert "Traceback" not in result.output


def test_invalid_input_names_each_problem(ctx: Context) -> None:
    result = run(
        ctx, "users", "create", "--email", "a@example.com", "--name", " ", "--role", "admin",
        "--password", "short",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "error: name: String should have at least 1 character\n"
        "error: password: String should have at least 8 characters\n"
    )


def test_teams_and_users_are_created_and_listed(ctx: Context) -> None:
    team = run(ctx, "teams", "create", "Nordics")
    user = run(
        ctx, "users", "create", "--email", "Sara@Example.com", "--name", "Sara",
        "--role", "sales", "--team-id", "1", "--password", "correct horse",
    )  # fmt: skip
    listed = run(ctx, "teams", "list")
    assert team.exit_code == 0 and "Created team 1: Nordics" in team.stdout
    assert user.exit_code == 0 and "sara@example.com (sales, teams 1)" in user.stdout
    assert listed.stdout.splitlines()[1].split() == ["1", "Nordics", "1"]


# -- streams ----------------------------------------------------------------------------------


def test_activating_and_deactivating_a_stream_changes_it_and_says_so(ctx: Context) -> None:
    stream_id = scored_contacts_and_stream(ctx, active=False)
    activated = run(ctx, "streams", "activate", str(stream_id))
    assert activated.exit_code == 0
    assert f"Stream {stream_id} 'Hot leads' is active." in activated.stdout
    assert streams.get_stream(ctx, stream_id=stream_id).active is True
    deactivated = run(ctx, "streams", "deactivate", str(stream_id))
    assert "is inactive" in deactivated.stdout
    assert streams.get_stream(ctx, stream_id=stream_id).active is False


def test_clearing_an_active_stream_is_refused_with_a_message(ctx: Context) -> None:
    stream_id = scored_contacts_and_stream(ctx)
    result = run(ctx, "streams", "clear", str(stream_id))
    assert result.exit_code == 1
    assert result.stderr == "error: deactivate the stream before clearing its leads\n"


def test_clearing_an_inactive_stream_clears_its_matches(ctx: Context) -> None:
    stream_id = builders.stream(ctx, SCORE_AT_LEAST_50, team_ids=[builders.team(ctx)])
    builders.contact(ctx, "live@example.com", lead_score=80)  # a live match
    run(ctx, "streams", "deactivate", str(stream_id))
    result = run(ctx, "streams", "clear", str(stream_id))
    assert result.exit_code == 0
    assert f"Stream {stream_id}: 1 matches cleared." in result.stdout
    assert streams.get_stream(ctx, stream_id=stream_id).lead_count == 0


def test_an_unknown_stream_is_reported_not_found(ctx: Context) -> None:
    result = run(ctx, "streams", "show", "404")
    assert result.exit_code == 1
    assert result.stderr == "error: no stream with id 404\n"


def test_streams_list_prints_a_table_and_show_prints_json(ctx: Context) -> None:
    stream_id = scored_contacts_and_stream(ctx)
    listed = run(ctx, "streams", "list")
    shown = run(ctx, "streams", "show", str(stream_id))
    as_json = run(ctx, "streams", "list", "--json")
    assert listed.stdout.splitlines()[0].split()[:4] == ["ID", "NAME", "ACTIVE", "LEADS"]
    assert listed.stdout.splitlines()[1].split()[:5] == [str(stream_id), "Hot", "leads", "yes", "0"]
    assert json.loads(shown.stdout)["rules_text"] == "Lead score is at least 50"
    assert [s["id"] for s in json.loads(as_json.stdout)] == [stream_id]


def test_fetch_history_with_wait_makes_history_leads(ctx: Context) -> None:
    stream_id = scored_contacts_and_stream(ctx)
    result = run(ctx, "streams", "fetch-history", str(stream_id), "--wait")
    assert result.exit_code == 0, result.output
    assert "done: 3 contacts scanned, 2 matches created." in result.stdout
    assert streams.get_stream(ctx, stream_id=stream_id).lead_count == 2


def test_fetch_history_without_wait_queues_the_job(ctx: Context) -> None:
    stream_id = scored_contacts_and_stream(ctx)
    result = run(ctx, "streams", "fetch-history", str(stream_id))
    assert result.exit_code == 0
    assert "Job 1 queued" in result.stdout
    assert job_row(ctx, 1).status == "queued"


def test_fetch_history_on_an_inactive_stream_is_refused(ctx: Context) -> None:
    stream_id = scored_contacts_and_stream(ctx, active=False)
    result = run(ctx, "streams", "fetch-history", str(stream_id), "--wait")
    assert result.exit_code == 1
    assert result.stderr == "error: fetch history needs the stream to be active\n"


# -- demo -------------------------------------------------------------------------------------


def test_demo_fills_an_empty_database_and_prints_the_accounts(ctx: Context) -> None:
    result = run(ctx, "demo", "--contacts", "200", "--no-serve")
    assert result.exit_code == 0, result.output
    admin = demo.accounts(1)[0]
    assert admin.email == "admin@demo.leadstreams.dev"
    assert [admin.email, admin.password, "admin"] in [
        line.split()[:3] for line in result.stdout.splitlines()
    ]
    assert "Made 200 contacts and" in result.stdout
    made = streams.list_streams(ctx)
    assert [s.active for s in made] == [True, True, True, False]
    assert sum(s.lead_count for s in made) > 0
    assert len(users.list_users(ctx)) == 6 and len(users.list_teams(ctx)) == 3
    again = run(ctx, "demo", "--contacts", "200", "--no-serve")
    assert "left as it is" in again.stdout and admin.password in again.stdout


def test_the_readmes_api_example_logs_in_as_the_demos_admin() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    admin = demo.accounts(1)[0]
    assert f"-d username={admin.email} -d password={admin.password} " in readme


def test_demo_data_is_the_same_for_the_same_seed() -> None:
    assert demo.people_for(random.Random(7), 50) == demo.people_for(random.Random(7), 50)
    assert demo.people_for(random.Random(7), 50) != demo.people_for(random.Random(8), 50)
    assert demo.accounts(3) == demo.accounts(3) != demo.accounts(4)


# -- the worker -------------------------------------------------------------------------------


def test_run_pending_jobs_runs_a_queued_job_to_done(ctx: Context) -> None:
    stream_id = scored_contacts_and_stream(ctx)
    job = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    assert run_pending_jobs(ctx) == 1
    done = fetch_history.get_job(ctx, job_id=job.id)
    assert (done.status, done.matches_created, done.scanned) == ("done", 2, 3)
    assert run_pending_jobs(ctx) == 0


def test_a_job_whose_worker_died_is_taken_over_and_finished(ctx: Context) -> None:
    stream_id = scored_contacts_and_stream(ctx)
    job = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
    assert jobs.claim_next(ctx, worker="died") is not None  # claimed, then never ran
    assert run_pending_jobs(ctx, name="rescuer") == 0  # its heartbeat is still fresh
    ctx.clock.advance(seconds=61)  # type: ignore[attr-defined]
    assert run_pending_jobs(ctx, name="rescuer") == 1
    row = job_row(ctx, job.id)
    assert (row.status, row.worker, row.matches_created) == ("done", "rescuer", 2)


def test_a_job_that_raises_is_marked_failed_with_its_error(ctx: Context) -> None:
    with ctx.uow() as uow:
        values = {
            "kind": "mystery",
            "status": "queued",
            "params": {},
            "created_at": ctx.clock.now(),
        }
        job_id = jobs_store.create(uow.connection, values=values)
        uow.commit()
    assert run_pending_jobs(ctx) == 1
    row = job_row(ctx, job_id)
    assert row.status == "failed"
    assert row.error == "an unexpected LookupError; the worker's log has the details"
    assert row.finished_at == ctx.clock.now()


def test_a_failed_jobs_error_never_shows_its_sql(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> str:
        raise ProgrammingError("SELECT secret FROM users WHERE x = %(x)s", {"x": 1}, Exception())

    monkeypatch.setitem(jobs.RUNNERS, "mystery", broken)
    with ctx.uow() as uow:
        values = {
            "kind": "mystery",
            "status": "queued",
            "params": {},
            "created_at": ctx.clock.now(),
        }
        job_id = jobs_store.create(uow.connection, values=values)
        uow.commit()
    assert run_pending_jobs(ctx) == 1
    error = job_row(ctx, job_id).error
    assert "ProgrammingError" in error and "SELECT" not in error and "secret" not in error


def test_the_worker_loop_runs_queued_jobs_until_stopped(ctx: Context) -> None:
    quick = Context(
        settings=ctx.settings.model_copy(update={"worker_poll_seconds": 0.02}),
        database=ctx.database,
        clock=ctx.clock,
    )
    stop = threading.Event()
    kwargs = {"ctx": quick, "stop": stop, "worker_name": "loop"}
    thread = threading.Thread(target=run_worker, kwargs=kwargs)
    thread.start()
    try:
        stream_id = scored_contacts_and_stream(ctx)
        job = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
        wait_for(lambda: fetch_history.get_job(ctx, job_id=job.id).status == "done")
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_the_server_runs_a_job_worker_while_it_lives(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(ctx, "init").exit_code == 0  # the app needs the stored secret key
    monkeypatch.setenv("LEADSTREAMS_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("LEADSTREAMS_WORKER_POLL_SECONDS", "0.02")
    stream_id = scored_contacts_and_stream(ctx)
    app = app_with_worker_from_environment()
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        job = fetch_history.start_fetch_history(ctx, stream_id=stream_id, user_id=None)
        wait_for(lambda: fetch_history.get_job(ctx, job_id=job.id).status == "done")
    app.state.ctx.database.dispose()


def test_leadstreams_serve_answers_on_its_port(tmp_path: Path) -> None:
    """The README's commands, as a user runs them: init, then serve in its own process."""
    env = {**os.environ, "LEADSTREAMS_DATABASE_URL": f"sqlite:///{tmp_path / 'ls.db'}"}
    command = [str(Path(sys.executable).parent / "leadstreams")]
    subprocess.run([*command, "init"], env=env, check=True, capture_output=True, timeout=60)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                    assert json.load(answer) == {"status": "ok"}
                break
            except URLError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        with urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as page:
            assert page.status == 200 and b"Log in" in page.read()
    finally:
        server.terminate()
        server.wait(15)
