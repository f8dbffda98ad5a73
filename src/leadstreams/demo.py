"""A realistic demo database, the same for the same seed: sales teams, users, custom fields,
contacts with a Nordic bias, a year of events, and streams with leads fetched from history.

Everything goes through the services, as a user's actions would. Times are relative to the
context's clock at the start, so the same seed gives the same data, moved to today.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from leadstreams.rules import FieldType
from leadstreams.schemas.contacts import ContactCreate
from leadstreams.schemas.fields import FieldCreate
from leadstreams.schemas.streams import StreamCreate
from leadstreams.schemas.users import TeamCreate, UserCreate
from leadstreams.services import contacts, fetch_history, ingest, streams, users, vocabulary
from leadstreams.services.context import Context
from leadstreams.worker import run_pending_jobs

DOMAIN = "demo.leadstreams.dev"
EVENT_BATCH = 1000


class Bar(Protocol):
    """A progress bar (tqdm's shape): told how much more is done, closed at the end."""

    def update(self, n: int = 1) -> object: ...
    def close(self) -> None: ...


BarFactory = Callable[[str, int], Bar]


class _NoBar:
    def update(self, n: int = 1) -> object:
        return None

    def close(self) -> None:
        return None


def no_bar(_description: str, _total: int) -> Bar:
    return _NoBar()


@dataclass(frozen=True, slots=True)
class Account:
    email: str
    name: str
    role: str
    password: str
    teams: tuple[str, ...] = ()


@dataclass
class DemoSummary:
    accounts: list[Account]
    contacts: int = 0
    events: int = 0
    streams: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Person:
    """A contact to create and how active they are (0..1), which drives their events."""

    values: dict[str, Any]
    engagement: float
    event_count: int


TEAMS = ("Nordics", "DACH & Benelux", "Enterprise")
_PEOPLE = (
    ("admin", "Ada Lindberg", "admin", ()),
    ("marketing", "Maja Holm", "marketing", ()),
    ("sara", "Sara Nilsson", "sales", ("Nordics", "Enterprise")),
    ("olof", "Olof Berg", "sales", ("Nordics",)),
    ("jonas", "Jonas Schmidt", "sales", ("DACH & Benelux",)),
    ("eva", "Eva de Vries", "sales", ("DACH & Benelux", "Enterprise")),
)


def accounts(seed: int) -> list[Account]:
    """The demo's users; passwords follow from the seed, so they can be printed again."""
    rng = random.Random(f"accounts-{seed}")
    out = []
    for local, name, role, teams in _PEOPLE:
        password = (
            f"{rng.choice(PASSWORD_WORDS)}-{rng.choice(PASSWORD_WORDS)}-{rng.randint(10, 99)}"
        )
        out.append(Account(f"{local}@{DOMAIN}", name, role, password, teams))
    return out


def is_empty(ctx: Context) -> bool:
    no_contacts = not contacts.search_contacts(ctx, q=None, limit=1, after_id=0)
    return no_contacts and not users.list_users(ctx)


def build(
    ctx: Context, *, contacts_wanted: int, seed: int, bar: BarFactory = no_bar
) -> DemoSummary:
    """Fill an empty database; returns what was made (streams with their lead counts)."""
    rng = random.Random(seed)
    now = ctx.clock.now()
    summary = DemoSummary(accounts(seed))
    team_ids, marketing_id = _teams_and_users(ctx, summary.accounts)
    _custom_fields(ctx)
    people = people_for(rng, contacts_wanted)
    contact_ids = _load_contacts(ctx, people, bar)
    summary.contacts = len(contact_ids)
    summary.events = _load_events(ctx, rng, people, contact_ids, now=now, seed=seed, bar=bar)
    _make_streams(ctx, team_ids, marketing_id)
    run_pending_jobs(ctx)
    summary.streams = [stream.model_dump() for stream in streams.list_streams(ctx)]
    return summary


# -- users, teams, fields ---------------------------------------------------------------------


def _teams_and_users(ctx: Context, people: list[Account]) -> tuple[dict[str, int], int]:
    team_ids = {name: users.create_team(ctx, data=TeamCreate(name=name)).id for name in TEAMS}
    marketing_id = 0
    for account in people:
        data = UserCreate.model_validate(
            {
                "email": account.email,
                "name": account.name,
                "role": account.role,
                "password": account.password,
                "team_ids": [team_ids[t] for t in account.teams],
            }
        )
        user = users.create_user(ctx, data=data)
        marketing_id = user.id if account.role == "marketing" else marketing_id
    return team_ids, marketing_id


def _custom_fields(ctx: Context) -> None:
    industry = FieldCreate(
        name="industry", label="Industry", type=FieldType.ENUM, values=list(INDUSTRIES)
    )
    employees = FieldCreate(name="employees", label="Employees", type=FieldType.NUMBER)
    for data in (industry, employees):
        vocabulary.create_field(ctx, data=data)


# -- contacts ---------------------------------------------------------------------------------


def people_for(rng: random.Random, count: int) -> list[Person]:
    companies = _companies(rng, max(3, count // 40))
    taken: set[str] = set()
    return [_person(rng, index, companies, taken) for index in range(count)]


def _companies(rng: random.Random, per_country: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for country in COUNTRIES:
        out[country] = []
        for _ in range(per_country):
            first, second = rng.sample(COMPANY_WORDS, 2)
            name = f"{first}{second.lower()}"
            employees = int(rng.lognormvariate(4.5, 1.6)) + 2
            out[country].append(
                {
                    "name": f"{name} {LEGAL_FORMS[country]}",
                    "domain": f"{_ascii(name)}.{TLDS[country]}",
                    "industry": rng.choice(INDUSTRIES),
                    "employees": employees,
                }
            )
    return out


def _person(
    rng: random.Random, index: int, companies: dict[str, list[dict[str, Any]]], taken: set[str]
) -> Person:
    country = rng.choices(list(COUNTRIES), weights=list(COUNTRIES.values()))[0]
    first = rng.choice(FIRST_NAMES[region(country)])
    last = rng.choice(LAST_NAMES[region(country)])
    company = rng.choice(companies[country])
    engagement = rng.betavariate(1.2, 3.0)
    values = {
        "email": _email(first, last, company["domain"], taken),
        "external_id": f"CRM-{100_000 + index}" if rng.random() < 0.5 else None,
        "first_name": first,
        "last_name": last,
        "company": company["name"],
        "title": rng.choice(TITLES),
        "phone": _phone(rng, country),
        "country": country,
        "city": rng.choice(CITIES[country]),
        "category": rng.choices(("prospect", "customer", "other"), weights=(80, 15, 5))[0],
        "lead_score": max(0, min(100, round(engagement * 95 + rng.gauss(0, 10)))),
        "tags": _tags(rng, engagement, company["employees"]),
        "fields": {"industry": company["industry"], "employees": company["employees"]},
    }
    events = int(engagement * 25) + rng.randint(0, 3)
    return Person({k: v for k, v in values.items() if v is not None}, engagement, events)


# Letters that NFKD does not take apart into an ASCII letter and a mark.
_UNDECOMPOSED = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ð": "d", "ł": "l"})


def _ascii(text: str) -> str:
    text = text.lower().translate(_UNDECOMPOSED)
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain if c.isalnum() or c in ".-")


def _email(first: str, last: str, domain: str, taken: set[str]) -> str:
    local = f"{_ascii(first)}.{_ascii(last.replace(' ', ''))}"
    email, number = f"{local}@{domain}", 1
    while email in taken:
        number += 1
        email = f"{local}{number}@{domain}"
    taken.add(email)
    return email


def _phone(rng: random.Random, country: str) -> str | None:
    if rng.random() < 0.3:
        return None
    return f"+{PHONE_CODES[country]} {rng.randint(20, 99)} {rng.randint(100_000, 999_999)}"


def _tags(rng: random.Random, engagement: float, employees: int) -> list[str]:
    tags = [tag for tag, chance in TAGS if rng.random() < chance]
    if rng.random() < 0.3 + engagement:
        tags.append("newsletter")
    if employees >= 1000:
        tags.append("enterprise")
    return tags


def _load_contacts(ctx: Context, people: list[Person], bar: BarFactory) -> list[int]:
    progress = bar("contacts", len(people))
    ids = []
    for person in people:
        created, _ = contacts.upsert_contact(ctx, data=ContactCreate.model_validate(person.values))
        ids.append(created.id)
        progress.update(1)
    progress.close()
    return ids


# -- events -----------------------------------------------------------------------------------


def _load_events(
    ctx: Context,
    rng: random.Random,
    people: list[Person],
    contact_ids: list[int],
    *,
    now: datetime,
    seed: int,
    bar: BarFactory,
) -> int:
    progress = bar("events", sum(p.event_count for p in people))
    batch: list[dict[str, Any]] = []
    created = 0
    for index, (person, contact_id) in enumerate(zip(people, contact_ids, strict=True)):
        for number, event in enumerate(_events(rng, person, now)):
            batch.append(
                event | {"event_id": f"demo-{seed}-{index}-{number}", "contact_id": contact_id}
            )
        if len(batch) >= EVENT_BATCH or index == len(people) - 1:
            created += _record(ctx, batch)
            progress.update(len(batch))
            batch = []
    progress.close()
    return created


def _record(ctx: Context, batch: list[dict[str, Any]]) -> int:
    results = ingest.record_events(ctx, items=batch)
    return sum(1 for result in results if result.status == "created")


def _events(rng: random.Random, person: Person, now: datetime) -> Iterator[dict[str, Any]]:
    """A person's year: engaged people act more often, more recently, and fill in more forms."""
    engaged = person.engagement
    kinds = ("page_visited", "email_opened", "email_clicked", "form_submitted")
    weights = (45, 30, 12, 13 * (0.5 + engaged))
    for _ in range(person.event_count):
        kind = rng.choices(kinds, weights=weights)[0]
        days_ago = 365 * rng.random() ** (1 + 2 * engaged)
        when = now - timedelta(days=days_ago, seconds=rng.randint(0, 86_399))
        yield {"type": kind, "occurred_at": when, "properties": _properties(rng, kind, engaged)}


def _properties(rng: random.Random, kind: str, engaged: float) -> dict[str, Any]:
    if kind == "page_visited":
        referrer = rng.choice(("google", "linkedin", "newsletter", "direct"))
        return {"url": rng.choice(PAGES), "referrer": referrer}
    if kind == "form_submitted":
        form = rng.choices(FORMS, weights=(1 + 3 * engaged, 5, 3))[0]
        return {"form": form, "url": "/contact" if form == "Contact us" else "/events"}
    return {"campaign": rng.choice(CAMPAIGNS)}


# -- streams ----------------------------------------------------------------------------------


def _form(name: str, days: int) -> dict[str, Any]:
    where = [{"property": "form", "op": "eq", "value": name}]
    return {"event": "form_submitted", "where": where, "within_days": days}


def stream_plans(team_ids: dict[str, int]) -> list[tuple[dict[str, Any], bool]]:
    """(StreamCreate body, active) for each demo stream."""
    hot = [
        {"field": "lead_score", "op": "gte", "value": 50},
        {"field": "country", "op": "in", "value": ["SE", "NO", "DK"]},
        _form("Contact us", 90),
    ]
    webinar = [_form("Webinar signup", 180), {"field": "category", "op": "eq", "value": "prospect"}]
    pricing = {"property": "url", "op": "eq", "value": "/pricing"}
    enterprise = [
        {"field": "employees", "op": "gte", "value": 500},
        {"event": "page_visited", "where": [pricing], "within_days": 90},
    ]
    quiet = [
        {"field": "tags", "op": "contains", "value": "newsletter"},
        {"not": {"event": "email_opened", "within_days": 180}},
    ]
    return [
        (_plan("Hot Nordic leads", hot, [team_ids["Nordics"]], requalify_after_days=90), True),
        (_plan("Webinar sign-ups", webinar, list(team_ids.values())[:2]), True),
        (
            _plan("Enterprise accounts on the pricing page", enterprise, [team_ids["Enterprise"]]),
            True,
        ),
        (_plan("Newsletter readers gone quiet", quiet, [team_ids["DACH & Benelux"]]), False),
    ]


def _plan(name: str, rules: list[Any], team_ids: list[int], **extra: Any) -> dict[str, Any]:
    description = f"Demo stream: {name.lower()}."
    return {
        "name": name,
        "description": description,
        "rules": {"all": rules},
        "team_ids": team_ids,
    } | extra


def _make_streams(ctx: Context, team_ids: dict[str, int], user_id: int) -> None:
    """Create the streams, activate the live ones and queue their fetch-history jobs."""
    for body, active in stream_plans(team_ids):
        stream = streams.create_stream(ctx, data=StreamCreate.model_validate(body), user_id=user_id)
        if active:
            streams.set_active(ctx, stream_id=stream.id, active=True, user_id=user_id)
            fetch_history.start_fetch_history(ctx, stream_id=stream.id, user_id=user_id)


# -- tables: names and places (the weights of countries lean Nordic) -------------------------


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",")]


COUNTRIES = {"SE": 24, "NO": 14, "DK": 12, "FI": 9, "IS": 2, "DE": 11, "NL": 6, "GB": 8, "US": 8,
             "FR": 3, "PL": 2, "ES": 1}  # fmt: skip
_REGIONS = {"SE": "nordic", "NO": "nordic", "DK": "nordic", "FI": "finnish", "IS": "nordic",
            "DE": "german", "NL": "dutch", "GB": "english", "US": "english", "FR": "french",
            "PL": "polish", "ES": "spanish"}  # fmt: skip
FIRST_NAMES = {
    "nordic": _words(
        "Anna, Erik, Karin, Lars, Ingrid, Magnus, Astrid, Nils, Sofia, Johan, Freja, Björn, "
        "Linnea, Oskar, Maja, Henrik, Sigrid, Mikkel, Ida, Søren, Kristín, Jón, Elsa, Gustav"
    ),
    "finnish": _words("Aino, Juha, Mikko, Sanna, Eero, Liisa, Ville, Kaisa, Timo, Helmi"),
    "german": _words("Lukas, Anna, Felix, Lena, Jonas, Marie, Leon, Sophie, Jürgen, Birgit"),
    "dutch": _words("Daan, Sanne, Bram, Lotte, Joris, Femke, Ruben, Anouk"),
    "english": _words("Oliver, Emma, James, Olivia, William, Ava, Harry, Grace, Noah, Chloe"),
    "french": _words("Louis, Camille, Hugo, Léa, Jules, Chloé, Arthur, Manon"),
    "polish": _words("Jakub, Zofia, Kacper, Julia, Piotr, Maja"),
    "spanish": _words("Pablo, Lucía, Alejandro, Sofía, Diego, Carmen"),
}
LAST_NAMES = {
    "nordic": _words(
        "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsen, Hansen, Nielsen, Jensen, "
        "Pedersen, Berg, Lindqvist, Holm, Dahl, Sørensen, Haugen, Bakke, Lund, Strand, Jónsson"
    ),
    "finnish": _words("Korhonen, Virtanen, Mäkinen, Nieminen, Mäkelä, Hämäläinen, Laine"),
    "german": _words("Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Schäfer"),
    "dutch": _words("de Jong, Jansen, de Vries, van den Berg, Bakker, Visser, Smit, Meijer"),
    "english": _words("Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Clark"),
    "french": _words("Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand"),
    "polish": _words("Nowak, Kowalski, Wiśniewski, Wójcik, Kamiński, Lewandowski"),
    "spanish": _words("García, Fernández, González, Rodríguez, López, Martínez"),
}
CITIES = {
    "SE": _words("Stockholm, Göteborg, Malmö, Uppsala, Linköping, Umeå"),
    "NO": _words("Oslo, Bergen, Trondheim, Stavanger, Tromsø"),
    "DK": _words("København, Aarhus, Odense, Aalborg"),
    "FI": _words("Helsinki, Espoo, Tampere, Turku, Oulu"),
    "IS": _words("Reykjavík, Akureyri"),
    "DE": _words("Berlin, Hamburg, München, Köln, Frankfurt"),
    "NL": _words("Amsterdam, Rotterdam, Utrecht, Eindhoven"),
    "GB": _words("London, Manchester, Edinburgh, Bristol, Leeds"),
    "US": _words("New York, San Francisco, Boston, Chicago, Austin, Seattle"),
    "FR": _words("Paris, Lyon, Toulouse, Nantes"),
    "PL": _words("Warszawa, Kraków, Wrocław, Gdańsk"),
    "ES": _words("Madrid, Barcelona, Valencia"),
}
LEGAL_FORMS = {"SE": "AB", "NO": "AS", "DK": "ApS", "FI": "Oy", "IS": "ehf.", "DE": "GmbH",
               "NL": "B.V.", "GB": "Ltd", "US": "Inc.", "FR": "SAS", "PL": "Sp. z o.o.",
               "ES": "S.L."}  # fmt: skip
TLDS = {"SE": "se", "NO": "no", "DK": "dk", "FI": "fi", "IS": "is", "DE": "de", "NL": "nl",
        "GB": "co.uk", "US": "com", "FR": "fr", "PL": "pl", "ES": "es"}  # fmt: skip
PHONE_CODES = {"SE": 46, "NO": 47, "DK": 45, "FI": 358, "IS": 354, "DE": 49, "NL": 31,
               "GB": 44, "US": 1, "FR": 33, "PL": 48, "ES": 34}  # fmt: skip
COMPANY_WORDS = _words(
    "Nord, Fjord, Vik, Sol, Berg, Lake, Iron, Pine, Storm, Bright, Blue, North, Harbor, Stone, "
    "Frost, Aurora, Birch, Polar, Tide, Cedar, Silver, Wave, Data, Cloud, Logic, Soft, Works"
)
INDUSTRIES = _words(
    "Software, Manufacturing, Retail, Finance, Healthcare, Logistics, Energy, Public sector"
)
TITLES = _words(
    "CEO, CTO, CFO, Head of Marketing, Marketing Manager, Sales Director, IT Manager, "
    "Procurement Manager, Operations Manager, Product Owner, Developer, Consultant"
)
TAGS = (("trade-show", 0.12), ("partner", 0.05), ("webinar", 0.15), ("gdpr-consent", 0.7),
        ("vip", 0.03), ("smb", 0.25))  # fmt: skip
FORMS = ("Contact us", "Newsletter", "Webinar signup")
PAGES = _words(
    "/, /pricing, /product/streams, /product/board, /customers, /contact, "
    "/blog/lead-scoring-101, /blog/nordic-b2b-buyers, /docs/api"
)
CAMPAIGNS = _words(
    "Monthly newsletter, Spring launch, Webinar invite - lead scoring, Nordic roadshow, "
    "Product update, Customer stories"
)
PASSWORD_WORDS = _words(
    "amber, fjord, birch, cloud, delta, ember, frost, glade, harbor, island, juniper, lagoon, "
    "meadow, north, orbit, pebble, quartz, river, spruce, tundra"
)


def region(country: str) -> str:
    return _REGIONS[country]
