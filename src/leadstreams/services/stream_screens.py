"""The stream page's further screens, each read in one read-only unit of work: the archive
of a stream's cleared matches, and why a contact does not match a stream now."""

from __future__ import annotations

from dataclasses import dataclass

from leadstreams.schemas.streams import StreamRead
from leadstreams.services import streams
from leadstreams.services.context import Context
from leadstreams.store import archive as archive_store
from leadstreams.store import board as board_store
from leadstreams.store import fields as fields_store
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
