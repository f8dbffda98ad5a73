"""E-mail to the team (product spec, section 4a): the worker sends what the mail queue holds
once it is due, after the commit that queued it; a mail server that is down delays mail and
loses none; a user's immediate mails go one per lead, their digest groups its leads."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr
from itertools import groupby

from leadstreams.config import Settings
from leadstreams.domain.notify import NotifyMode, retry_delay
from leadstreams.mail.render import LeadMail, StreamMatch, reasons, render
from leadstreams.mail.smtp import MailSender, SmtpSender
from leadstreams.services.context import Context
from leadstreams.store import board as board_store
from leadstreams.store import mail_queue
from leadstreams.store import users as users_store
from leadstreams.store.mail_queue import QueuedMail
from leadstreams.store.uow import UnitOfWork

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a claimed row is due again if its worker died meanwhile
BATCH = 100


def sender_for(ctx: Context) -> MailSender | None:
    """The SMTP sender the settings name; None when e-mail is not configured."""
    url = ctx.settings.smtp_url
    return SmtpSender(url.get_secret_value()) if url is not None else None


def send_due(ctx: Context, *, sender: MailSender | None = None, limit: int = BATCH) -> int:
    """Send the mail that is due; how many queue rows were sent (0 without SMTP settings)."""
    sender = sender or sender_for(ctx)
    if sender is None:
        return 0
    with ctx.uow() as uow:
        now = uow.clock.now()
        claimed = mail_queue.claim_due(
            uow.connection, now=now, lease_until=now + LEASE, limit=limit
        )
        mails, gone = _compose(uow, ctx.settings, claimed)
        uow.commit()
    if not claimed:
        return 0
    results = sender.send([message for _, message in mails]) if mails else []
    with ctx.uow() as uow:
        now = uow.clock.now()
        skipped = [row.id for row in claimed if row.opted_out]
        mail_queue.mark_sent(uow.connection, ids=skipped, at=now, note="opted out")
        mail_queue.mark_sent(uow.connection, ids=gone, at=now, note="the lead is gone")
        sent = 0
        for (rows, _), error in zip(mails, results, strict=True):
            ids = [row.id for row in rows]
            if error is None:
                mail_queue.mark_sent(uow.connection, ids=ids, at=now)
                sent += len(ids)
            else:
                log.warning("mail to user %s not sent, will retry: %s", rows[0].user_id, error)
                retry_at = now + retry_delay(max(row.attempts for row in rows) + 1)
                mail_queue.mark_failed(uow.connection, ids=ids, error=str(error), retry_at=retry_at)
        uow.commit()
    return sent


Mails = list[tuple[list[QueuedMail], EmailMessage]]


def _compose(
    uow: UnitOfWork, settings: Settings, claimed: Sequence[QueuedMail]
) -> tuple[Mails, list[int]]:
    """One message per immediate row, one digest per user (with the rows each covers), and
    the rows whose lead no longer exists."""
    wanted = [row for row in claimed if not row.opted_out]
    views = _lead_views(uow, settings.base_url, sorted({row.lead_id for row in wanted}))
    gone = [row.id for row in wanted if row.lead_id not in views]
    wanted = [row for row in wanted if row.lead_id in views]
    groups: list[list[QueuedMail]] = [
        [row] for row in wanted if row.kind != NotifyMode.DIGEST.value
    ]
    digests = sorted(
        (r for r in wanted if r.kind == NotifyMode.DIGEST.value), key=lambda r: r.user_id
    )
    groups += [list(rows) for _, rows in groupby(digests, key=lambda r: r.user_id)]
    mails: Mails = []
    for rows in groups:
        first = rows[0]
        # Stable per queue row: a mail sent again (a worker died before marking it) can be
        # recognised as the same by the receiving side.
        message_id = f"<mail-{first.id}-lead-{first.lead_id}-user-{first.user_id}@leadstreams>"
        message = render(
            [views[row.lead_id] for row in rows],
            to=formataddr((first.name, first.email)),
            sender=settings.mail_from,
            message_id=message_id,
        )
        mails.append((rows, message))
    return mails, gone


def _lead_views(uow: UnitOfWork, base_url: str, lead_ids: list[int]) -> dict[int, LeadMail]:
    """What the mails say of these leads: the contact, the streams and why they matched,
    the assignee, a link."""
    connection = uow.connection
    found = [lead for i in lead_ids if (lead := board_store.get(connection, lead_id=i))]
    people = board_store.contacts_by_id(connection, contact_ids=[x.contact_id for x in found])
    streams: dict[int, list[StreamMatch]] = {}
    for match in board_store.matches_of(connection, lead_ids=[x.id for x in found]):
        view = StreamMatch(match.stream_name, tuple(reasons(match.explanation)))
        streams.setdefault(match.lead_id, []).append(view)
    names = {
        user.id: user.name
        for user_id in {x.assignee_id for x in found if x.assignee_id is not None}
        if (user := users_store.get(connection, user_id=user_id))
    }
    views = {}
    for lead in found:
        person = people[lead.contact_id]
        full_name = " ".join(p for p in (person.first_name, person.last_name) if p)
        views[lead.id] = LeadMail(
            lead_id=lead.id,
            link=f"{base_url.rstrip('/')}/leads/{lead.id}",
            contact_name=full_name or person.email or f"contact {person.id}",
            email=person.email or "",
            company=person.company,
            title=person.title,
            lead_score=person.lead_score,
            streams=tuple(streams.get(lead.id, ())),
            assignee=names.get(lead.assignee_id) if lead.assignee_id else None,
        )
    return views
