"""What an API key may call (api.md, "Authentication"): one table, checked in one place.

A key acts for a system, not a person: `ingest` puts contacts and events in and reads
nothing; `read` reads leads, contacts and streams and changes nothing. Anything a key's
scopes do not name answers 403, whatever the endpoint (the table allows, it never denies).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

KEY_PREFIX = "lsk_"  # recognisable in logs and by secret scanners
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 8  # how a key is listed: enough to tell keys apart


class Scope(StrEnum):
    INGEST = "ingest"
    READ = "read"


API = "/api/v1"

# (method, route as declared) an `ingest` key may call; the tracking API (/v1/...) too.
INGEST_ROUTES = frozenset(
    {
        ("POST", f"{API}/contacts"),
        ("POST", f"{API}/events"),
        ("POST", f"{API}/events/batch"),
        ("POST", "/v1/batch"),
        ("POST", "/v1/track"),
        ("POST", "/v1/identify"),
        ("POST", "/v1/page"),
    }
)
# The resources a `read` key may GET, with everything under them (a lead's notes, a
# stream's preview, a contact's events).
READ_RESOURCES = ("leads", "contacts", "streams", "fields")


def allows(scopes: Collection[Scope], *, method: str, route: str) -> bool:
    """Whether a key with `scopes` may call `route` (its path as declared, with `{id}`)."""
    if Scope.INGEST in scopes and (method, route) in INGEST_ROUTES:
        return True
    if Scope.READ in scopes and method in ("GET", "HEAD"):
        resource = route.removeprefix(f"{API}/").split("/", 1)[0]
        return route.startswith(f"{API}/") and resource in READ_RESOURCES
    return False


def is_key(credential: str) -> bool:
    """An API key, as opposed to a signed session token."""
    return credential.startswith(KEY_PREFIX)
