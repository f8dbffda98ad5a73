"""The stream page's further screens, each read in one read-only unit of work: the archive
of a stream's cleared matches, and why a contact does (not) match a stream now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadstreams.domain.contacts import normalise_email
from leadstreams.domain.matching import CurrentMatch
from leadstreams.rules import Explainer, parse, reads
from leadstreams.rules.explain import Explanation
from leadstreams.schemas.streams import StreamRead
from leadstreams.services import streams
from leadstreams.services.context import Context
from leadstreams.store import archive as archive_store
from leadstreams.store import board as board_store
from leadstreams.store import contacts as contacts_store
from leadstreams.store import fields as fields_store
from leadstreams.store import match_writer, rule_inputs
from leadstreams.store.archive import ClearedMatch
from leadstreams.store.contacts import Contact


@dataclass(frozen=True)
class ArchiveRow:
    """A cleared match of the stream, with its contact and its lead's state now."""

    match: ClearedMatch
    contact: Contact


@dataclass(frozen=True)
class StreamArchive:
    stream: StreamRead
    rows: list[ArchiveRow]  # the latest clear first


def stream_archive(ctx: Context, *, stream_id: int, limit: int) -> StreamArchive:
    with ctx.uow(read_only=True) as uow:
        vocabulary = fields_store.vocabulary(uow.connection)
        stream = streams.read_stream(uow, stream_id=stream_id, vocabulary=vocabulary)
        found = archive_store.cleared_matches(uow.connection, stream_id=stream_id, limit=limit)
        people = board_store.contacts_by_id(
            uow.connection, contact_ids=sorted({m.contact_id for m in found})
        )
        return StreamArchive(stream, [ArchiveRow(m, people[m.contact_id]) for m in found])


@dataclass(frozen=True)
class ContactCheck:
    """The stream's rules against one contact as it is now: every condition, whether it
    held and the value seen (as a match's explanation), and the contact's current match."""

    stream: StreamRead
    email: str
    contact: Contact | None  # None: no contact has this e-mail
    explanation: Explanation | None
    current: CurrentMatch | None  # its uncleared match in this stream, if any
    now: datetime


def check_contact(ctx: Context, *, stream_id: int, email: str) -> ContactCheck:
    """ "Why doesn't this contact match?": read only, nothing is matched or recorded."""
    email = normalise_email(email)
    with ctx.uow(read_only=True) as uow:
        connection, now = uow.connection, uow.clock.now()
        vocabulary = fields_store.vocabulary(connection)
        stream = streams.read_stream(uow, stream_id=stream_id, vocabulary=vocabulary)
        contact = contacts_store.find(connection, email=email, external_id=None)
        if contact is None:
            return ContactCheck(stream, email, None, None, None, now)
        rule = parse(stream.rules, vocabulary)
        needs = rule_inputs.Needs.of([reads(rule)], now)
        found = rule_inputs.load(connection, [contact.id], needs=needs,
                                 datetime_fields=vocabulary.custom_datetime_fields)  # fmt: skip
        inputs = found[contact.id]
        explanation = Explainer(rule, vocabulary)(inputs.fields, inputs.events, now)
        current = match_writer.current_matches_of(connection, [contact.id])
        return ContactCheck(
            stream, email, contact, explanation, current.get((stream_id, contact.id)), now
        )
