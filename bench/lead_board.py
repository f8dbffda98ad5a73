"""The lead board at scale (issue #15, item 5): `leads_api_vs_sql`, `board_page_vs_sql`,
`live_boards_overhead` and the HTTP floor's `leads_api_floor_vs_sql`, `leads_api_vs_floor`
on SQLite, the same keys ending in `_postgres` on PostgreSQL.

A copy of the dataset gets 5 teams, 20 active streams (four per team, every fifth shared with
the next team), a sales user per team, and open leads on a fifth of the contacts (200,000 at
1M contacts; quick: 4,000), with a tenth as many closed ones, each lead with one to three
matches. One `leadstreams serve` process (uvicorn, as `bench.http`) serves them on loopback;
the benchmark is its client (`http.client`, one keep-alive connection).

- `leads_api_vs_sql`: `GET /api/v1/leads` as team 1's sales user (bearer token): the first
  page of team 1's MQLs, a page 2,000 leads deeper by cursor, and a search by the start of a
  contact's e-mail, each against hand-written SQL that reads the same rows (the keyset
  query, the page's matches with their streams' names, the streams' teams, the last
  assignments): best of `repeats` each, alternating; the figure is the worst of the three.
- `leads_api_floor_vs_sql`, `leads_api_vs_floor` (no goal): the HTTP floor. A bare endpoint
  in the same framework and server (`bench._bare_leads`: FastAPI on uvicorn, one process)
  runs `hand_page` itself for the same three cases and answers its rows as JSON, nothing
  else; the same client fetches it in the same rounds. The first key is the bare endpoint
  divided by the SQL (what any HTTP answer adds here), the second ours divided by the bare
  endpoint (what our endpoint adds over that); each the worst of the three cases.
- `board_page_vs_sql`: `GET /leads` (the board's HTML) for that sales user against the
  hand-written queries for what it shows: the first page of each stage's column, the
  matches of their leads, the totals by stage and the leads per stream.
- `live_boards_overhead`: events/s through `services.ingest.record_events` (batches of
  1,000, in this process) while 100 boards (`bench._live_boards`) hold the live feed open
  and answer it as `static/board.js` does, divided by the rate with none; phases alternate.

Both sides (and the bare endpoint) must read the same leads (ids, e-mails, stages, teams,
streams, in order) and the board's columns and totals must be the hand-written ones, or the
run stops.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from time import perf_counter, sleep
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Engine, bindparam, select, text

from bench import _service
from bench._report import Figure, Outcome, best_of
from bench.data import NOW, TYPES, Size, drop_postgres, postgres_copy, remove_sqlite, sqlite_copy
from bench.http import (
    ROOT,
    _environment,
    _free_port,
    _leadstreams,
    server_cpu_seconds,
    start_server,
    stop_server,
)
from bench.ingest import BATCH, _record, batches, make_events, stream_rule
from bench.same_rows import TEXTS
from leadstreams.domain.roles import Role
from leadstreams.rules import parse
from leadstreams.rules.dump import dump
from leadstreams.rules.fields import Stage
from leadstreams.schemas.users import TeamCreate, UserCreate
from leadstreams.services import users
from leadstreams.services.context import Context
from leadstreams.store import fields as fields_store
from leadstreams.store import state
from leadstreams.store import streams as streams_store
from leadstreams.store.tables import leads
from leadstreams.store.types import UTCDateTime
from leadstreams.web.pages._filters import PER_COLUMN

STREAMS, TEAMS = 20, 5
OPEN = (("mql", 50), ("sql", 30), ("opportunity", 20))
PASSWORD = "bench-password"
ADMIN = "bench@example.com"
TEAM = 1  # the sales user measured is team 1's
PAGE, DEEP = 50, 2_000  # API page size; how deep the later page starts
HEALTHZ_REPEATS = 50
EXPLANATION = {  # a typical explanation (the benchmarks' rule), as matches hold them
    "held": True, "text": TEXTS["rule"], "all": [
        {"held": True, "text": TEXTS["score"], "field": "lead_score", "seen": 64},
        {"held": True, "text": TEXTS["country"], "field": "country", "seen": "SE"},
        {"held": True, "text": TEXTS["asked"], "event": "form_submitted", "count": 3,
         "min_count": 2, "within_days": 90},
    ],
}  # fmt: skip


# --- the board ------------------------------------------------------------------------------


def _teams_of(stream: int) -> list[int]:
    team = (stream - 1) // 4 + 1
    return [team, team % TEAMS + 1] if stream % 5 == 0 else [team]


def _set_up(ctx: Context, url: str) -> tuple[list[int], list[int]]:
    """Teams, streams and sales users through the service: their ids (team 1 first: the
    copy is emptied of what earlier runs on the dataset left, sequences included)."""
    _service.empty(ctx.database.engine, restart_ids=True)
    init = _leadstreams("init", "--admin-email", ADMIN, "--admin-password", PASSWORD)
    subprocess.run(init, env=_environment(url), check=True, capture_output=True, timeout=300)
    team_ids = [users.create_team(ctx, data=TeamCreate(name=f"Team {t}")).id
                for t in range(1, TEAMS + 1)]  # fmt: skip
    stream_ids = []
    with ctx.uow() as uow:
        vocabulary, now = fields_store.vocabulary(uow.connection), uow.clock.now()
        for k in range(STREAMS):
            rule = dump(parse(stream_rule(k, TYPES[k % 4]), vocabulary))
            values = {"name": f"Stream {k + 1}", "rules": rule, "active": True,
                      "activated_at": now, "created_at": now, "updated_at": now, "version": 1,
                      "description": ""}  # fmt: skip
            stream_id = streams_store.create(uow.connection, values=values)
            teams = [team_ids[t - 1] for t in _teams_of(k + 1)]
            streams_store.set_teams(uow.connection, stream_id=stream_id, team_ids=teams)
            stream_ids.append(stream_id)
        state.bump_streams_revision(uow.connection)
        uow.commit()
    for t, team_id in enumerate(team_ids, 1):
        data = UserCreate(email=f"sales{t}@example.com", name=f"Sales {t}", role=Role.SALES,
                          password=PASSWORD, team_ids=[team_id])  # fmt: skip
        users.create_user(ctx, data=data)
    return team_ids, stream_ids


def _rows(size: Size, open_leads: int, stream_ids: list[int]) -> Iterator[tuple[str, list[Any]]]:
    """The leads (open, and a tenth as many closed) and their matches, as DB-API rows."""
    rng = random.Random(size.seed * 31 + 5)
    total = open_leads + open_leads // 10
    owners = rng.sample(range(1, size.contacts + 1), total)
    lead_rows, match_rows = [], []
    for n, contact_id in enumerate(owners, 1):
        created = NOW - timedelta(seconds=rng.randrange(365 * 86400))
        if n <= open_leads:
            stage = rng.choices([s for s, _ in OPEN], [w for _, w in OPEN])[0]
            closed = None
        else:
            stage, closed = rng.choice(("won", "lost")), created + timedelta(days=3)
        hidden = rng.random() < 0.02
        lead_rows.append((n, contact_id, stage, None, hidden, created, created, closed))
        for stream_id in rng.sample(stream_ids, rng.choice((1, 1, 2, 3))):
            match_rows.append((n, stream_id, contact_id, created, "history",
                               {"kind": "history", "job_id": 1}, EXPLANATION))  # fmt: skip
    yield ("INSERT INTO leads (id, contact_id, stage, assignee_id, hidden, created_at, "
           "updated_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", lead_rows)  # fmt: skip
    yield ("INSERT INTO matches (lead_id, stream_id, contact_id, matched_at, origin, trigger, "
           "explanation) VALUES (?, ?, ?, ?, ?, ?, ?)", match_rows)  # fmt: skip


def _stamp(value: Any) -> Any:
    """SQLite keeps times as text (as `store.types.UTCDateTime` writes them)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def _load(engine: Engine, size: Size, open_leads: int, stream_ids: list[int]) -> None:
    postgres = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for sql, rows in _rows(size, open_leads, stream_ids):
            if postgres:
                sql = sql.replace("?", "%s")
                rows = [tuple(Jsonb(v) if isinstance(v, dict) else v for v in r) for r in rows]
            else:
                rows = [tuple(json.dumps(v) if isinstance(v, dict) else _stamp(v) for v in r)
                        for r in rows]  # fmt: skip
            cursor.executemany(sql, rows)
        if postgres:
            cursor.execute("SELECT setval(pg_get_serial_sequence('leads', 'id'), max(id)) "
                           "FROM leads")  # fmt: skip
        raw.commit()
        for table in ("leads", "matches", "stream_teams"):  # the rest was analyzed when loaded
            cursor.execute(f"ANALYZE {table}")
        raw.commit()
    finally:
        raw.close()


# --- the client ------------------------------------------------------------------------------


class Client:
    """One keep-alive connection to the server, with a bearer token or a session cookie."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.headers: dict[str, str] = {}

    def get(self, path: str) -> bytes:
        try:
            self.connection.request("GET", path, headers=self.headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):  # closed while idle (5 s)
            self.connection.close()
            self.connection.request("GET", path, headers=self.headers)
            response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status} {body[:200]!r}")
        return body

    def log_in_api(self, email: str) -> Client:
        form = urllib.parse.urlencode({"username": email, "password": PASSWORD})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        self.connection.request("POST", "/api/v1/auth/token", form, headers)
        answer = json.loads(self.connection.getresponse().read())
        self.headers = {"Authorization": f"Bearer {answer['access_token']}"}
        return self

    def log_in_page(self, email: str) -> Client:
        self.connection.request("GET", "/login")
        response = self.connection.getresponse()
        page = response.read().decode()
        cookie = response.getheader("set-cookie", "").split(";")[0]
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        self.connection.request("POST", "/login", form, headers)
        response = self.connection.getresponse()
        response.read()
        if response.status != 303:
            raise SystemExit(f"could not log in to the board as {email}: {response.status}")
        self.headers = {"Cookie": response.getheader("set-cookie", "").split(";")[0]}
        return self


# --- the hand-written queries ---------------------------------------------------------------

VISIBLE = """EXISTS (SELECT 1 FROM matches m JOIN stream_teams st ON st.stream_id = m.stream_id
  WHERE m.lead_id = l.id AND m.cleared_at IS NULL AND st.team_id = :team)"""
SEARCHED = ("c.email", "c.first_name", "c.last_name", "c.company")
PAGE_SQL = """SELECT l.id, l.contact_id, l.stage, l.assignee_id, l.hidden, l.created_at,
  l.closed_at, l.lost_reason, c.email, c.first_name, c.last_name, c.company, c.category,
  c.lead_score
FROM leads l JOIN contacts c ON c.id = l.contact_id
WHERE l.cleared_at IS NULL AND l.hidden = false AND {visible}{more}
ORDER BY l.created_at DESC, l.id DESC LIMIT :limit"""
MATCHES_SQL = """SELECT m.lead_id, m.stream_id, s.name, m.matched_at, m.origin, m.trigger,
  m.explanation FROM matches m JOIN streams s ON s.id = m.stream_id
WHERE m.lead_id IN :ids AND m.cleared_at IS NULL ORDER BY m.id"""
ASSIGNED_SQL = """SELECT lead_id, policy, reason, team_id, by_user_id, at FROM lead_assignments
WHERE id IN (SELECT max(id) FROM lead_assignments WHERE lead_id IN :ids GROUP BY lead_id)"""
TOTALS_SQL = """SELECT l.stage, count(*) FROM leads l
WHERE l.cleared_at IS NULL AND l.hidden = false AND {visible} GROUP BY l.stage"""
PER_STREAM_SQL = """SELECT stream_id, count(DISTINCT lead_id) FROM matches
WHERE cleared_at IS NULL GROUP BY stream_id"""
Read = list[tuple[Any, ...]]  # per lead: id, e-mail, stage, team ids, stream ids


def _page_query(*, stage: bool, after: bool, search: bool) -> Any:
    more = " AND l.stage = :stage" if stage else ""
    if after:
        more += " AND (l.created_at < :at OR (l.created_at = :at AND l.id < :id))"
    if search:  # contains, in any case: the product's search (the term has no % or _)
        more += " AND (" + " OR ".join(f"lower({c}) LIKE :q" for c in SEARCHED) + ")"
    query = text(PAGE_SQL.format(visible=VISIBLE, more=more))
    return query.bindparams(bindparam("at", type_=UTCDateTime())) if after else query


_MATCHES = text(MATCHES_SQL).bindparams(bindparam("ids", expanding=True))
_ASSIGNED = text(ASSIGNED_SQL).bindparams(bindparam("ids", expanding=True))


def hand_page(
    connection: Connection, *, stage: str | None = None, after: tuple[datetime, int] | None = None,
    q: str | None = None, limit: int = PAGE, teams: dict[int, list[int]],
) -> Read:  # fmt: skip
    """A page as the API shows it, by hand: the leads, their matches, teams, assignments."""
    params: dict[str, Any] = {"team": TEAM, "limit": limit, "stage": stage}
    if after is not None:
        params |= {"at": after[0], "id": after[1]}
    if q is not None:
        params["q"] = f"%{q.lower()}%"
    query = _page_query(stage=stage is not None, after=after is not None, search=q is not None)
    found = connection.execute(query, params).all()
    if not found:
        return []
    ids = [row.id for row in found]
    streams: dict[int, list[int]] = {}
    for match in connection.execute(_MATCHES, {"ids": ids}):
        streams.setdefault(match.lead_id, []).append(match.stream_id)
    assigned = {row.lead_id: row for row in connection.execute(_ASSIGNED, {"ids": ids})}
    return [(row.id, row.email, row.stage,
             sorted({t for s in streams[row.id] for t in teams[s]}), streams[row.id],
             assigned.get(row.id) is not None) for row in found]  # fmt: skip


def stream_teams(connection: Connection) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for stream_id, team_id in connection.execute(text("SELECT stream_id, team_id FROM "
                                                      "stream_teams")):  # fmt: skip
        found.setdefault(stream_id, []).append(team_id)
    return found


def floor_read(body: bytes) -> Read:
    """The bare endpoint's answer (`bench._bare_leads`): `hand_page`'s rows, as JSON."""
    return [tuple(row) for row in json.loads(body)]


def floor_path(hand: dict[str, Any]) -> str:
    """The bare endpoint's request for the arguments of `hand_page`."""
    query: dict[str, Any] = {"limit": PAGE}
    if "stage" in hand:
        query["stage"] = hand["stage"]
    if "after" in hand:
        query["at"], query["id"] = hand["after"][0].isoformat(), hand["after"][1]
    if "q" in hand:
        query["q"] = hand["q"]
    return "/floor?" + urllib.parse.urlencode(query)


def api_read(body: bytes) -> tuple[Read, str | None]:
    page = json.loads(body)
    items = [(i["id"], i["contact"]["email"], i["stage"], i["team_ids"],
              [m["stream_id"] for m in i["matches"]], i["assignment"] is not None)
             for i in page["items"]]  # fmt: skip
    return items, page["next_cursor"]


def hand_board(connection: Connection, per_column: int) -> dict[str, Any]:
    """What the board shows, by hand: each column's first page (with its matches and teams),
    the totals by stage and the leads per stream."""
    teams = stream_teams(connection)
    columns = {str(stage): [row[0] for row in hand_page(connection, stage=str(stage),
                                                        limit=per_column, teams=teams)]
               for stage in Stage}  # fmt: skip
    totals = dict(
        connection.execute(text(TOTALS_SQL.format(visible=VISIBLE)), {"team": TEAM}).all()
    )
    per_stream = dict(connection.execute(text(PER_STREAM_SQL)).all())
    return {"columns": columns, "totals": totals, "per_stream": len(per_stream)}


_COLUMN = re.compile(r'data-column="(\w+)"(.*?)</section>', re.S)
_TOTAL = re.compile(r'class="column-count" data-total="(\d+)"')


def page_read(body: bytes) -> dict[str, Any]:
    html = body.decode()
    columns, totals = {}, {}
    for stage, section in _COLUMN.findall(html):
        columns[stage] = [int(i) for i in re.findall(r'data-lead-id="(\d+)"', section)]
        found = _TOTAL.search(section)
        if found and int(found.group(1)):
            totals[stage] = int(found.group(1))
    return {"columns": columns, "totals": totals}


# --- the figures -----------------------------------------------------------------------------


def _race(repeats: int, ours: Callable[[], Any], hand: Callable[[], Any],
          **others: Callable[[], Any]) -> dict[str, Any]:  # fmt: skip
    """Best of `repeats` each, in turn (ours, the SQL, then any others); what each read last."""
    contestants = {"ours": ours, "sql": hand} | others
    best = dict.fromkeys(contestants, float("inf"))
    read: dict[str, Any] = {}
    for _ in range(repeats):
        for name, run in contestants.items():
            started = perf_counter()
            read[name] = run()
            best[name] = min(best[name], perf_counter() - started)
    return best | {"read": read}


FIRST_VISIBLE = text(
    "SELECT c.email FROM leads l JOIN contacts c ON c.id = l.contact_id WHERE "  # noqa: S608
    f"l.cleared_at IS NULL AND l.hidden = false AND {VISIBLE} ORDER BY l.id LIMIT 1"
)


def _search_term(connection: Connection) -> str:
    """The start of a visible lead's e-mail, up to and with the first digits of its number."""
    email = connection.scalar(FIRST_VISIBLE, {"team": TEAM})
    local = str(email).split("@")[0]
    name, number = local.rsplit(".", 1)
    return f"{name}.{number[: max(1, len(number) - 1)]}"


def leads_api(port: int, floor_port: int, engine: Engine, repeats: int) -> dict[str, Any]:
    api = Client(port).log_in_api("sales1@example.com")
    floor = Client(floor_port)  # the bare endpoint: no token to send
    with engine.connect() as connection:
        teams = stream_teams(connection)
        term = _search_term(connection)
    cursor, seen, last = "", 0, 0  # untimed: walk to the later page's cursor
    while seen < DEEP:  # (or to the last full page of a small board)
        path = f"/api/v1/leads?team_id={TEAM}&stage=mql&limit=200"
        items, following = api_read(api.get(path + (f"&cursor={cursor}" if cursor else "")))
        if following is None:
            break
        cursor, seen, last = following, seen + len(items), items[-1][0]
    if not cursor:
        raise SystemExit("the board is too small for a later page")
    with engine.connect() as connection:
        at = connection.scalar(select(leads.c.created_at).where(leads.c.id == last))
    cases = {
        "first": (f"/api/v1/leads?team_id={TEAM}&stage=mql&limit={PAGE}",
                  {"stage": "mql"}),
        "later": (f"/api/v1/leads?team_id={TEAM}&stage=mql&limit={PAGE}&cursor={cursor}",
                  {"stage": "mql", "after": (at, last)}),
        "search": (f"/api/v1/leads?q={term}&limit={PAGE}", {"q": term}),
    }  # fmt: skip
    found: dict[str, Any] = {}
    with engine.connect() as connection:
        for name, (path, hand) in cases.items():
            bare = floor_path(hand)
            run = _race(repeats, lambda p=path: api_read(api.get(p))[0],
                        lambda h=hand: hand_page(connection, teams=teams, **h),
                        floor=lambda b=bare: floor_read(floor.get(b)))  # fmt: skip
            read = run.pop("read")
            mine, theirs = read["ours"], read["sql"]
            if mine != theirs or not mine:
                raise SystemExit(f"GET /api/v1/leads ({name}) and the hand-written query read "
                                 f"other leads: {mine[:2]} against {theirs[:2]}")  # fmt: skip
            # The floor answers the hand-written rows themselves, with no cursor to compare.
            if read["floor"] != theirs:
                bare_read = read["floor"]
                raise SystemExit(f"the bare endpoint ({name}) and the hand-written query read "
                                 f"other leads: {bare_read[:2]} against {theirs[:2]}")  # fmt: skip
            found[name] = {k: round(v, 4) for k, v in run.items()} | {
                "ratio": round(run["ours"] / run["sql"], 2),
                "floor_vs_sql": round(run["floor"] / run["sql"], 2),
                "ours_vs_floor": round(run["ours"] / run["floor"], 2),
                "leads": len(mine),
                "bytes": {"ours": len(api.get(path)), "floor": len(floor.get(bare))},
            }
    found["search_term"] = term
    # An answer with no database work at all, on the same server and client: what the floor's
    # answer costs beside its SQL (not a figure, a detail).
    found["bare_healthz"] = round(best_of(HEALTHZ_REPEATS, lambda: json.loads(floor.get(
        "/healthz")))[0], 5)  # fmt: skip
    return found


def board_page(port: int, engine: Engine, repeats: int) -> dict[str, Any]:
    page = Client(port).log_in_page("sales1@example.com")
    with engine.connect() as connection:
        run = _race(repeats, lambda: page_read(page.get("/leads")),
                    lambda: hand_board(connection, PER_COLUMN))  # fmt: skip
    mine, theirs = run.pop("read").values()
    if mine["columns"] != theirs["columns"] or mine["totals"] != theirs["totals"]:
        raise SystemExit(f"the board page and the hand-written queries show other leads: "
                         f"{mine['totals']} against {theirs['totals']}")  # fmt: skip
    cards = sum(len(c) for c in mine["columns"].values())
    return {k: round(v, 4) for k, v in run.items()} | {
        "ratio": round(run["ours"] / run["sql"], 2),
        "cards": cards,
        "totals": mine["totals"],
    }


def _drained(pid: int, deadline: float = 300.0) -> None:
    """Waits until the server is idle: what the boards asked before they closed must not
    spill into the next phase without them."""
    ends = perf_counter() + deadline
    while perf_counter() < ends:
        before = server_cpu_seconds(pid)
        sleep(0.5)
        if server_cpu_seconds(pid) - before < 0.05:
            return
    raise SystemExit("the server did not become idle after the live boards closed")


def live_boards(
    url: str, port: int, server_pid: int, size: Size, boards: int, phases: int, per_phase: int
) -> dict[str, Any]:
    """Ingest with `boards` live boards open, against none: phases alternate, none first."""
    ctx = _service.context(url)
    cookies = [Client(port).log_in_page(f"sales{t}@example.com").headers["Cookie"]
               for t in range(1, TEAMS + 1)]  # fmt: skip
    events = make_events(size, (2 * phases * per_phase + 1) * BATCH, salt=77)
    work = list(batches(events, "live"))
    _record(ctx, work.pop())  # warm-up
    spent = {"none": 0.0, "boards": 0.0}
    heard: dict[str, int] = {}
    for phase in range(2 * phases):
        name = "boards" if phase % 2 else "none"
        client = None
        if name == "boards":
            with ctx.database.engine.connect() as connection:
                after = connection.scalar(text("SELECT coalesce(max(id), 0) FROM outbox"))
            orders = {"port": port, "cookies": cookies, "boards": boards, "after": str(after)}
            client = subprocess.Popen([sys.executable, "-m", "bench._live_boards"], cwd=ROOT,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True)  # fmt: skip
            assert client.stdin and client.stdout
            client.stdin.write(json.dumps(orders) + "\n")
            client.stdin.flush()
            if client.stdout.readline().strip() != "ready":
                raise SystemExit("the live boards did not open their feeds")
        started = perf_counter()
        for _ in range(per_phase):
            _record(ctx, work.pop())
        spent[name] += perf_counter() - started
        if client is not None:
            out, _ = client.communicate("", timeout=120)  # closes stdin: the boards report
            for key, value in json.loads(out.strip().splitlines()[-1]).items():
                heard[key] = heard.get(key, 0) + value
            _drained(server_pid)
    ctx.database.engine.dispose()
    if not heard.get("heard") or heard.get("failed"):
        raise SystemExit(f"the live boards heard nothing, or were refused: {heard}")
    rate = {k: phases * per_phase * BATCH / v for k, v in spent.items()}
    return {"events_per_s": {k: round(v) for k, v in rate.items()},
            "ratio": round(rate["boards"] / rate["none"], 3), "boards": boards} | heard  # fmt: skip


def _floor_command(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "bench._bare_leads:app_from_environment",
            "--factory", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning"]  # fmt: skip


KEY_ENDS = {"sqlite": "", "postgres": "_postgres"}  # the keys' ends: SQLite's came first
KEYS = {backend: tuple(f"{key}{end}" for key in ("leads_api_vs_sql", "board_page_vs_sql",
                                                 "live_boards_overhead",
                                                 "leads_api_floor_vs_sql", "leads_api_vs_floor"))
        for backend, end in KEY_ENDS.items()}  # fmt: skip
CASES = ("first", "later", "search")


def lead_board_benchmarks(
    size: Size, *, open_leads: int, repeats: int, boards: int, phases: int, per_phase: int,
    backend: str = "sqlite",
) -> Outcome:  # fmt: skip
    url = sqlite_copy(size, "bench_board") if backend == "sqlite" else postgres_copy(
        size, "bench_board")  # fmt: skip
    ctx = _service.context(url)
    server = None
    try:
        _team_ids, stream_ids = _set_up(ctx, url)
        started = perf_counter()
        _load(ctx.database.engine, size, open_leads, stream_ids)
        print(f"  board of {open_leads:,} open leads loaded in {perf_counter() - started:.0f}s",
              flush=True)  # fmt: skip
        port, floor_port = _free_port(), _free_port()
        server = start_server(url, port)
        floor = start_server(url, floor_port, command=_floor_command(floor_port))
        try:
            api = leads_api(port, floor_port, ctx.database.engine, repeats)
        finally:
            stop_server(floor)  # before the board and the live boards: one server, as before
        print(f"  leads API vs SQL: {api}", flush=True)
        board = board_page(port, ctx.database.engine, repeats)
        print(f"  board page vs SQL: {board}", flush=True)
        live = live_boards(url, port, server.pid, size, boards, phases, per_phase)
        print(f"  live boards: {live}", flush=True)
    finally:
        if server is not None:
            stop_server(server)
        ctx.database.engine.dispose()
        remove_sqlite(url) if backend == "sqlite" else drop_postgres(url.rsplit("/", 1)[1])
    worst = max(CASES, key=lambda k: api[k]["ratio"])
    where = f"{size.contacts:,} contacts, {open_leads:,} open leads, {backend}"
    api_note = ", ".join(f"{k} {api[k]['ours'] * 1000:.1f} vs {api[k]['sql'] * 1000:.1f} ms"
                         for k in CASES)  # fmt: skip
    floor_worst = max(api[k]["floor_vs_sql"] for k in CASES)
    floor_note = ", ".join(f"{k} {api[k]['floor'] * 1000:.1f} vs {api[k]['sql'] * 1000:.1f} ms "
                           f"({api[k]['floor_vs_sql']})" for k in CASES)  # fmt: skip
    over_worst = max(api[k]["ours_vs_floor"] for k in CASES)
    over_note = ", ".join(f"{k} {api[k]['ours'] * 1000:.1f} vs {api[k]['floor'] * 1000:.1f} ms "
                          f"({api[k]['ours_vs_floor']})" for k in CASES)  # fmt: skip
    board_note = (
        f"{board['ours'] * 1000:.0f} vs {board['sql'] * 1000:.0f} ms, {board['cards']} cards"
    )
    live_note = (f"{live['events_per_s']['boards']:,} vs {live['events_per_s']['none']:,} "
                 f"events/s, {boards} boards, {live['sent']} requests")  # fmt: skip
    end = KEY_ENDS[backend]
    return Outcome(
        [Figure(f"leads_api_vs_sql{end}", api[worst]["ratio"], "<= 1.5", f"{api_note}; {where}"),
         Figure(f"board_page_vs_sql{end}", board["ratio"], "<= 3", f"{board_note}; {where}"),
         Figure(f"live_boards_overhead{end}", live["ratio"], ">= 0.8", f"{live_note}; {where}"),
         Figure(f"leads_api_floor_vs_sql{end}", floor_worst, "report", f"{floor_note}; {where}"),
         Figure(f"leads_api_vs_floor{end}", over_worst, "report", f"{over_note}; {where}")],
        {f"lead_board{end}": {"contacts": size.contacts, "open_leads": open_leads,
                              "backend": backend, "api": api, "board": board, "live": live,
                              "server": "leadstreams serve (uvicorn), one process, loopback"}},
    )  # fmt: skip
