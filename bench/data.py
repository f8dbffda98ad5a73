"""Deterministic, realistic benchmark data, loaded fast and cached by (size, seed).

Contacts have countries, categories, scores, companies, tags and two custom fields; events of
the four built-in types spread over the two years before `NOW`, with a heavy skew (a contact's
share of the events follows a Pareto law: a few contacts have hundreds, most have a handful).

SQLite gets `executemany` in big batches inside one transaction, PostgreSQL gets COPY; the
events' secondary indexes are built after the load. A loaded database is kept (a file under
`bench/.cache/`, a PostgreSQL database `bench_<size>`) and reused by the next run.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
from bisect import bisect
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from time import perf_counter
from typing import Any

import psycopg
from sqlalchemy import Index
from sqlalchemy.schema import CreateIndex

from bench._feed import Progress, in_child
from leadstreams.store.engine import make_engine
from leadstreams.store.migrate import upgrade
from leadstreams.store.tables import events

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # the benchmark's clock stands here
DAYS = 730
CACHE = Path(__file__).with_name(".cache")
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
URL_PREFIX = "postgresql+psycopg://postgres@127.0.0.1:5432"
BATCH = 50_000
MARK = "bench_dataset_complete"

FIRST = ["Anna", "Erik", "Lars", "Maria", "Johan", "Sofia", "Ola", "Ingrid", "Peter", "Laura"]
LAST = ["Andersson", "Hansen", "Nielsen", "Smith", "Müller", "Virtanen", "Berg", "Rossi"]
TITLES = ["CEO", "CTO", "Marketing Manager", "Engineer", "Buyer", None]
COMPANIES = [f"{a} {b}" for a in ("Acme", "Globex", "Initech", "Hooli", "Nordic Timber")
             for b in ("AB", "AS", "Ltd", "GmbH", "Inc", "Oy")]  # fmt: skip
COUNTRIES = ["SE", "NO", "DK", "US", "GB", "DE", "FI", "FR", "NL", "ES", "PL", "CA"]
COUNTRY_WEIGHTS = [7, 4, 4, 22, 12, 12, 5, 7, 6, 5, 4, 4]
CITIES = ["Stockholm", "Oslo", "Copenhagen", "London", "Berlin", "Paris", None]
TAGS = ["vip", "newsletter", "webinar", "partner", "trial", "churned"]
INDUSTRIES = ["software", "retail", "manufacturing", "finance", "health"]
CUSTOM_FIELDS = [("industry", "Industry", "enum", INDUSTRIES), ("employees", "Employees",
                 "number", [])]  # fmt: skip

TYPES = ["page_visited", "email_opened", "email_clicked", "form_submitted"]
TYPE_WEIGHTS = [45, 25, 8, 22]
CAMPAIGNS = ["spring-2025", "nordics-q2", "webinar-ai", None]
FORMS = ["Contact us", "contact us", "Newsletter", "Webinar signup", "Download whitepaper"]
PROPERTIES = {  # each event's properties are one of these (as JSON text)
    "form_submitted": [{"form": f, "campaign": c} for f in FORMS for c in CAMPAIGNS],
    "email_opened": [{"campaign": c, "email": "Newsletter #12"} for c in CAMPAIGNS],
    "email_clicked": [{"campaign": c, "link": "/pricing"} for c in CAMPAIGNS],
    "page_visited": [{"url": u} for u in ("/", "/pricing", "/contact", "/blog/ai")],
}
PROPERTY_TEXT = {t: [json.dumps(p) for p in ps] for t, ps in PROPERTIES.items()}

# The benchmarks' rule: score, country list, category not customer, forms in 90 days.
RULE: dict[str, Any] = {"all": [
    {"field": "lead_score", "op": "gte", "value": 50},
    {"field": "country", "op": "in", "value": ["SE", "NO", "DK"]},
    {"not": {"field": "category", "op": "eq", "value": "customer"}},
    {"event": "form_submitted", "min_count": 2, "within_days": 90},
]}  # fmt: skip


@dataclass(frozen=True)
class Size:
    contacts: int
    events: int
    seed: int

    @property
    def key(self) -> str:
        return f"{self.contacts}c_{self.events}e_s{self.seed}"


# --- generation ------------------------------------------------------------------------------


def _clock() -> list[str]:
    """'HH:MM:SS.000000' for every second of a day (a lookup is cheaper than formatting)."""
    return [f"{h:02d}:{m:02d}:{s:02d}.000000" for h in range(24) for m in range(60)
            for s in range(60)]  # fmt: skip


CLOCK = _clock()


def _stamp(days: list[str], seconds: int) -> str:
    """'YYYY-MM-DD HH:MM:SS.000000': how SQLAlchemy keeps a datetime in SQLite (and PG reads)."""
    day, second = divmod(seconds, 86400)
    return f"{days[day]} {CLOCK[second]}"


def _day_names() -> list[str]:
    start = (NOW - timedelta(days=DAYS)).date()
    return [(start + timedelta(days=d)).isoformat() for d in range(DAYS + 1)]


def _cumulative(weights: list[int]) -> tuple[list[int], float]:
    return list(accumulate(weights)), float(sum(weights))


# `random.choices(population, weights)` draws one `random()` and bisects the running sums;
# doing that here, with the sums made once, draws the same numbers and picks the same items
# (as does `_randbelow(n)`, which `choice` and `randrange(n)` call): the rows stay those of the
# seed, only faster to make (checked by a hash of the rows before and after the change).
COUNTRY_SUMS, COUNTRY_TOTAL = _cumulative(COUNTRY_WEIGHTS)
CATEGORIES = ("prospect", "customer", "other")
CATEGORY_SUMS, CATEGORY_TOTAL = _cumulative([80, 12, 8])
TYPE_SUMS, TYPE_TOTAL = _cumulative(TYPE_WEIGHTS)


def _json_strings(values: list[str]) -> str:
    """`json.dumps` of a list of plain ASCII words, without its cost."""
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def _contact(rng: random.Random, i: int, created: str) -> tuple[Any, ...]:
    below, draw = rng._randbelow, rng.random  # what choice, randrange call
    first, last = FIRST[below(len(FIRST))], LAST[below(len(LAST))]
    country = COUNTRIES[bisect(COUNTRY_SUMS, draw() * COUNTRY_TOTAL, 0, len(COUNTRIES) - 1)]
    q = draw()
    country_value = None if q < 0.05 else country.lower() if q < 0.12 else country
    tags = _json_strings(rng.sample(TAGS, TAG_COUNTS[below(len(TAG_COUNTS))]))
    industry, employees = INDUSTRIES[below(len(INDUSTRIES))], 1 + below(4999)
    custom = f'{{"industry": "{industry}", "employees": {employees}}}'
    category = CATEGORIES[bisect(CATEGORY_SUMS, draw() * CATEGORY_TOTAL, 0, 2)]
    return (i, f"{first.lower()}.{last.lower()}.{i}@example.com", first, last,
            COMPANIES[below(len(COMPANIES))], TITLES[below(len(TITLES))], f"+46 70 {i:07d}",
            country_value, CITIES[below(len(CITIES))], category,
            min(100, int(rng.expovariate(1 / 18))), tags, custom, created, created)  # fmt: skip


TAG_COUNTS = (0, 0, 1, 1, 2, 3)
CONTACT_COLUMNS = ("id", "email", "first_name", "last_name", "company", "title", "phone",
                   "country", "city", "category", "lead_score", "tags", "custom", "created_at",
                   "updated_at")  # fmt: skip
EVENT_COLUMNS = ("id", "event_id", "contact_id", "type", "occurred_at", "received_at",
                 "properties")  # fmt: skip


def contact_batches(size: Size) -> Iterator[list[tuple[Any, ...]]]:
    rng, days = random.Random(size.seed), _day_names()
    below, span = rng._randbelow, DAYS * 86400  # randrange(span) calls it
    for low in range(1, size.contacts + 1, BATCH):
        high = min(low + BATCH, size.contacts + 1)
        yield [_contact(rng, i, _stamp(days, below(span))) for i in range(low, high)]


def contact_weights(size: Size) -> list[float]:
    """Cumulative weights of the contacts' shares of the events (Pareto: 80/20)."""
    rng = random.Random(size.seed + 1)
    total, cumulative = 0.0, []
    for _ in range(size.contacts):
        total += min(rng.paretovariate(1.16), 2_000.0)
        cumulative.append(total)
    return cumulative


def event_batches(
    size: Size, *, first_id: int = 1, prefix: str = "e"
) -> Iterator[list[tuple[Any, ...]]]:
    rng, days = random.Random(size.seed + 2), _day_names()
    below, draw, span = rng._randbelow, rng.random, DAYS * 86400
    cumulative = contact_weights(size)
    owners_total, last_owner = cumulative[-1] + 0.0, size.contacts - 1
    texts = [PROPERTY_TEXT[t] for t in TYPES]
    for low in range(0, size.events, BATCH):
        n = min(BATCH, size.events - low)
        # rng.choices(range(1, contacts + 1), cum_weights=cumulative, k=n), then the types
        owners = [1 + bisect(cumulative, draw() * owners_total, 0, last_owner) for _ in range(n)]
        kinds = [bisect(TYPE_SUMS, draw() * TYPE_TOTAL, 0, 3) for _ in range(n)]
        batch = []
        for k in range(n):
            day, second = divmod(below(span), 86400)
            at = f"{days[day]} {CLOCK[second]}"
            kind = kinds[k]
            choices = texts[kind]
            i = first_id + low + k
            batch.append((i, f"{prefix}{i:010d}", owners[k], TYPES[kind], at, at,
                          choices[below(len(choices))]))  # fmt: skip
        yield batch


# --- loading ---------------------------------------------------------------------------------


def _schema(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def _index_sql(dialect: str) -> list[str]:
    engine = make_engine("sqlite://" if dialect == "sqlite" else f"{URL_PREFIX}/postgres")
    indexes: list[Index] = sorted(events.indexes, key=lambda ix: str(ix.name))
    return [str(CreateIndex(ix).compile(dialect=engine.dialect)) for ix in indexes]


def _index_names() -> list[str]:
    return sorted(str(ix.name) for ix in events.indexes)


def _field_rows() -> list[tuple[Any, ...]]:
    at = _stamp(_day_names(), 0)
    return [(name, label, type_, json.dumps(values), at) for name, label, type_, values in
            CUSTOM_FIELDS]  # fmt: skip


def _insert_sql(table: str, columns: tuple[str, ...], mark: str) -> str:
    marks = ", ".join([mark] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 (constants)


FIELD_COLUMNS = ("name", "label", "type", '"values"', "created_at")


def sqlite_dataset(size: Size) -> Path:
    """The cached SQLite file of this size, generated and loaded when missing."""
    path = CACHE / f"{size.key}.sqlite"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = perf_counter()
    # The rows are made in child processes from here on, while the schema is set up.
    contacts = in_child(lambda: contact_batches(size))
    events = in_child(lambda: event_batches(size))
    _schema(f"sqlite:///{partial}")
    con = sqlite3.connect(partial, isolation_level=None)
    # No journal and no syncs while loading: a load cut short leaves a `.partial` file that
    # the next run deletes, so nothing needs to survive a crash. The sorter may use threads.
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1000000",
                   "threads = 2"):  # fmt: skip
        con.execute(f"PRAGMA {pragma}")
    _load_sqlite(con, size, contacts, events)
    con.close()
    partial.rename(path)
    print(f"  loaded SQLite {size.key} in {perf_counter() - started:.0f}s", flush=True)
    return path


Batches = Iterator[list[tuple[Any, ...]]]


def _load_sqlite(con: sqlite3.Connection, size: Size, contacts: Batches, events: Batches) -> None:
    progress = Progress(f"SQLite {size.key}", size.contacts + size.events)
    for name in _index_names():
        con.execute(f"DROP INDEX {name}")
    con.execute("BEGIN")
    con.executemany(_insert_sql("field_definitions", FIELD_COLUMNS, "?"), _field_rows())
    for rows in progress.rows(contacts):
        con.executemany(_insert_sql("contacts", CONTACT_COLUMNS, "?"), rows)
    for rows in progress.rows(events):
        con.executemany(_insert_sql("events", EVENT_COLUMNS, "?"), rows)
    con.execute("COMMIT")
    for statement in _index_sql("sqlite"):
        progress.phase(f"rows loaded; {statement.split(' ON ')[0].lower()}")
        con.execute(statement)
    progress.phase("ANALYZE")
    con.execute("ANALYZE")
    progress.close()


def sqlite_copy(size: Size, name: str) -> str:
    """A fresh copy of the cached database (for benchmarks that add events): its URL. Named
    after this process too, so that runs at the same time do not share copies."""
    target = CACHE / f"{name}_{os.getpid()}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(sqlite_dataset(size))
    copy = sqlite3.connect(target)
    source.backup(copy)
    source.close()
    copy.close()
    return f"sqlite:///{target}"


def _pg_admin() -> psycopg.Connection[Any]:
    return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True)


def _pg_complete(name: str) -> bool:
    try:
        with psycopg.connect(f"{PG_SERVER}/{name}") as con:
            row = con.execute("SELECT value FROM app_state WHERE key = %s", (MARK,)).fetchone()
            return row is not None
    except psycopg.Error:
        return False


def postgres_dataset(size: Size) -> str:
    """The URL of the cached PostgreSQL database of this size, loaded when missing."""
    name = f"bench_{size.key}"
    if not _pg_complete(name):
        started = perf_counter()
        contacts = in_child(lambda: _copy_text(contact_batches(size), _contact_line))
        events = in_child(lambda: _copy_text(event_batches(size), EVENT_LINE.__mod__))
        with _pg_admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
        _schema(f"{URL_PREFIX}/{name}")
        _load_postgres(f"{PG_SERVER}/{name}", size, contacts, events)
        print(f"  loaded PostgreSQL {size.key} in {perf_counter() - started:.0f}s", flush=True)
    return f"{URL_PREFIX}/{name}"


FK = "fk_events_contact_id_contacts"
# COPY's text format: the generated values hold no tab, newline or backslash (fixed word
# lists, ASCII JSON), so they are written as they are; None is \N.
EVENT_LINE = "%d\t%s\t%d\t%s\t%s\t%s\t%s\n"


def _contact_line(row: tuple[Any, ...]) -> str:
    return "\t".join(["\\N" if v is None else str(v) for v in row]) + "\n"


def _copy_text(batches: Batches, line: Callable[[tuple[Any, ...]], str]) -> Iterator[
        tuple[int, str]]:  # fmt: skip
    """Each batch as COPY text (made in the child process, a cheap string to hand over)."""
    for rows in batches:
        yield len(rows), "".join([line(row) for row in rows])


Chunks = Iterator[tuple[int, str]]


def _load_postgres(url: str, size: Size, contacts: Chunks, events: Chunks) -> None:
    progress = Progress(f"PostgreSQL {size.key}", size.contacts + size.events)
    with psycopg.connect(url) as con:
        con.execute(f"ALTER TABLE events DROP CONSTRAINT {FK}")
        for name in _index_names():
            con.execute(f"DROP INDEX {name}")
        with con.cursor() as cur:
            cur.executemany(_insert_sql("field_definitions", FIELD_COLUMNS, "%s"), _field_rows())
    # Contacts and events are copied at the same time, each on a connection of its own (the
    # foreign key is gone until both are in), so that both child processes make rows at once.
    # The events are emptied in their COPY's transaction, so COPY may write them frozen
    # (nothing references events): VACUUM then has nothing to do on them.
    copies = (
        ("COPY contacts ({}) FROM STDIN", CONTACT_COLUMNS, contacts, None),
        ("COPY events ({}) FROM STDIN WITH (FREEZE)", EVENT_COLUMNS, events, "events"),
    )
    with ThreadPoolExecutor(len(copies)) as pool:
        for done in [pool.submit(_copy, url, *copy, progress) for copy in copies]:
            done.result()
    _finish_postgres(url, progress)


def _finish_postgres(url: str, progress: Progress) -> None:
    """What follows the rows: the events' indexes and foreign key, the sequences, the mark
    that the dataset is complete, VACUUM ANALYZE."""
    # The events' indexes are built at the same time, each on a connection of its own (index
    # builds of one table do not block each other; on a shared machine one build leaves cores
    # idle while it reads or writes).
    statements = _index_sql("postgresql")
    progress.phase(f"rows loaded; {len(statements)} indexes at once")
    with ThreadPoolExecutor(len(statements)) as pool:
        for done in [pool.submit(_build, url, statement) for statement in statements]:
            done.result()
    with psycopg.connect(url) as con:
        progress.phase("the events' foreign key")
        con.execute(f"ALTER TABLE events ADD CONSTRAINT {FK} FOREIGN KEY (contact_id) "
                    "REFERENCES contacts (id) ON DELETE CASCADE")  # fmt: skip
        for table in ("contacts", "events"):
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            con.execute(f"SELECT setval({sequence}, max(id)) FROM {table}")  # noqa: S608
        con.execute("INSERT INTO app_state (key, value) VALUES (%s, '1')", (MARK,))
        con.commit()
        con.autocommit = True
        progress.phase("VACUUM ANALYZE")
        con.execute("VACUUM ANALYZE")
    progress.close()


def _build(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as con:
        # An index build sorts in memory up to this (the server's default, 64 MB, spills to
        # disk).
        con.execute("SET maintenance_work_mem = '512MB'")
        con.execute(statement)


def _copy(url: str, statement: str, columns: tuple[str, ...], chunks: Chunks,
          truncate: str | None, progress: Progress) -> None:  # fmt: skip
    with psycopg.connect(url) as con, con.cursor() as cur:
        if truncate:
            cur.execute(f"TRUNCATE {truncate}")
        with cur.copy(statement.format(", ".join(columns))) as copy:
            for rows, text in chunks:
                copy.write(text)
                progress.bar.update(rows)


def postgres_copy(size: Size, name: str) -> str:
    """A fresh copy (CREATE DATABASE ... TEMPLATE) of the cached database: its URL (named
    after this process too, as `sqlite_copy`)."""
    source = postgres_dataset(size).rsplit("/", 1)[1]
    name = f"{name}_{os.getpid()}"
    with _pg_admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {source}")
    return f"{URL_PREFIX}/{name}"


def drop_postgres(name: str) -> None:
    with _pg_admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def remove_sqlite(url: str) -> None:
    path = url.removeprefix("sqlite:///")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


__all__ = ["NOW", "RULE", "Size", "postgres_copy", "postgres_dataset",
           "sqlite_copy", "sqlite_dataset"]  # fmt: skip
