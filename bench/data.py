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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import psycopg
from sqlalchemy import Index
from sqlalchemy.schema import CreateIndex

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


def _stamp(days: list[str], seconds: int) -> str:
    """'YYYY-MM-DD HH:MM:SS.000000': how SQLAlchemy keeps a datetime in SQLite (and PG reads)."""
    day, second = divmod(seconds, 86400)
    hour, rest = divmod(second, 3600)
    return f"{days[day]} {hour:02d}:{rest // 60:02d}:{rest % 60:02d}.000000"


def _day_names() -> list[str]:
    start = (NOW - timedelta(days=DAYS)).date()
    return [(start + timedelta(days=d)).isoformat() for d in range(DAYS + 1)]


def _contact(rng: random.Random, i: int, created: str) -> tuple[Any, ...]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    country = rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]
    q = rng.random()
    country_value = None if q < 0.05 else country.lower() if q < 0.12 else country
    tags = json.dumps(rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2, 3))))
    custom = json.dumps({"industry": rng.choice(INDUSTRIES), "employees": rng.randrange(1, 5000)})
    category = rng.choices(("prospect", "customer", "other"), (80, 12, 8))[0]
    return (i, f"{first.lower()}.{last.lower()}.{i}@example.com", first, last,
            rng.choice(COMPANIES), rng.choice(TITLES), f"+46 70 {i:07d}", country_value,
            rng.choice(CITIES), category, min(100, int(rng.expovariate(1 / 18))), tags, custom,
            created, created)  # fmt: skip


CONTACT_COLUMNS = ("id", "email", "first_name", "last_name", "company", "title", "phone",
                   "country", "city", "category", "lead_score", "tags", "custom", "created_at",
                   "updated_at")  # fmt: skip
EVENT_COLUMNS = ("id", "event_id", "contact_id", "type", "occurred_at", "received_at",
                 "properties")  # fmt: skip


def contact_batches(size: Size) -> Iterator[list[tuple[Any, ...]]]:
    rng, days = random.Random(size.seed), _day_names()
    for low in range(1, size.contacts + 1, BATCH):
        high = min(low + BATCH, size.contacts + 1)
        yield [
            _contact(rng, i, _stamp(days, rng.randrange(DAYS * 86400))) for i in range(low, high)
        ]


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
    cumulative, ids = contact_weights(size), range(1, size.contacts + 1)
    for low in range(0, size.events, BATCH):
        n = min(BATCH, size.events - low)
        owners = rng.choices(ids, cum_weights=cumulative, k=n)
        types = rng.choices(TYPES, TYPE_WEIGHTS, k=n)
        batch = []
        for k in range(n):
            at = _stamp(days, rng.randrange(DAYS * 86400))
            props = rng.choice(PROPERTY_TEXT[types[k]])
            i = first_id + low + k
            batch.append((i, f"{prefix}{i:010d}", owners[k], types[k], at, at, props))
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
    _schema(f"sqlite:///{partial}")
    con = sqlite3.connect(partial, isolation_level=None)
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1000000"):
        con.execute(f"PRAGMA {pragma}")
    _load_sqlite(con, size)
    con.close()
    partial.rename(path)
    print(f"  loaded SQLite {size.key} in {perf_counter() - started:.0f}s")
    return path


def _load_sqlite(con: sqlite3.Connection, size: Size) -> None:
    for name in _index_names():
        con.execute(f"DROP INDEX {name}")
    con.execute("BEGIN")
    con.executemany(_insert_sql("field_definitions", FIELD_COLUMNS, "?"), _field_rows())
    for rows in contact_batches(size):
        con.executemany(_insert_sql("contacts", CONTACT_COLUMNS, "?"), rows)
    for rows in event_batches(size):
        con.executemany(_insert_sql("events", EVENT_COLUMNS, "?"), rows)
    con.execute("COMMIT")
    for statement in _index_sql("sqlite"):
        con.execute(statement)
    con.execute("ANALYZE")


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
        with _pg_admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
        _schema(f"{URL_PREFIX}/{name}")
        with psycopg.connect(f"{PG_SERVER}/{name}") as con:
            _load_postgres(con, size)
        print(f"  loaded PostgreSQL {size.key} in {perf_counter() - started:.0f}s")
    return f"{URL_PREFIX}/{name}"


FK = "fk_events_contact_id_contacts"


def _load_postgres(con: psycopg.Connection[Any], size: Size) -> None:
    con.execute(f"ALTER TABLE events DROP CONSTRAINT {FK}")
    for name in _index_names():
        con.execute(f"DROP INDEX {name}")
    with con.cursor() as cur:
        cur.executemany(_insert_sql("field_definitions", FIELD_COLUMNS, "%s"), _field_rows())
    _copy(con, "contacts", CONTACT_COLUMNS, contact_batches(size))
    _copy(con, "events", EVENT_COLUMNS, event_batches(size))
    con.commit()
    for statement in _index_sql("postgresql"):
        con.execute(statement)
    con.execute(f"ALTER TABLE events ADD CONSTRAINT {FK} FOREIGN KEY (contact_id) "
                "REFERENCES contacts (id) ON DELETE CASCADE")  # fmt: skip
    for table in ("contacts", "events"):
        sequence = f"pg_get_serial_sequence('{table}', 'id')"
        con.execute(f"SELECT setval({sequence}, max(id)) FROM {table}")  # noqa: S608
    con.execute("INSERT INTO app_state (key, value) VALUES (%s, '1')", (MARK,))
    con.commit()
    con.autocommit = True
    con.execute("VACUUM ANALYZE")


def _copy(con: psycopg.Connection[Any], table: str, columns: tuple[str, ...],
          batches: Iterator[list[tuple[Any, ...]]]) -> None:  # fmt: skip
    with con.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for rows in batches:
            for row in rows:
                copy.write_row(row)


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
