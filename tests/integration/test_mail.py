"""E-mail to the team, through a real SMTP server (aiosmtpd), on both databases: what
arrives, to whom, once; digests grouped per user; a server that is down delays mail and
loses none; the HTML part escapes what contacts typed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from leadstreams import worker
from leadstreams.domain.assignment import Policy
from leadstreams.domain.notify import NotifyMode
from leadstreams.schemas.delivery import (
    AssignmentSettings,
    MailPreference,
    MemberSettings,
    NotifySettings,
    TeamDeliveryUpdate,
)
from leadstreams.services import mail, notifications, team_delivery
from leadstreams.services.context import Context
from leadstreams.services.matching import evaluate_contact
from leadstreams.store.tables import mail_queue
from tests.support import builders
from tests.support.service import make_context, reset
from tests.support.smtp import SmtpServer

FORM = {"form": "Contact us"}
BASE_URL = "https://leads.example.com/"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailing(ctx: Context, smtp: SmtpServer) -> Context:
    ctx.settings = ctx.settings.model_copy(
        update={"smtp_url": SecretStr(smtp.url), "base_url": BASE_URL,
                "mail_from": "Leadstreams <leads@example.com>"}
    )  # fmt: skip
    return ctx


def _team(
    ctx: Context, mode: NotifyMode, *, policy: Policy = Policy.MANUAL, minutes: int = 15
) -> tuple[int, list[int]]:
    team_id = builders.team(ctx, "Nordics")
    people = [builders.user(ctx, f"{n}@example.com", team_ids=[team_id]) for n in ("ann", "bob")]
    data = TeamDeliveryUpdate(
        assignment=AssignmentSettings(
            policy=policy, members=[MemberSettings(user_id=u) for u in people]
        ),
        notify=NotifySettings(mode=mode, digest_minutes=minutes),
    )
    team_delivery.put_delivery(ctx, team_id=team_id, data=data)
    builders.stream(ctx, builders.CONTACT_FORM, team_ids=[team_id], name="Contact form")
    return team_id, people


def _lead(ctx: Context, email: str, **fields: Any) -> None:
    builders.contact(ctx, email, **fields)
    builders.event(ctx, email, properties=FORM)


def test_an_unassigned_lead_mails_every_member_once_with_text_and_html(
    mailing: Context, smtp: SmtpServer
) -> None:
    _team(mailing, NotifyMode.IMMEDIATE)
    _lead(mailing, "eve@acme.example", first_name="Eve", last_name="<script>x</script>",
          company="Acme & Co")  # fmt: skip
    assert mail.send_due(mailing) == 2
    assert mail.send_due(mailing) == 0  # never twice
    assert sorted(r.to[0] for r in smtp.received) == ["ann@example.com", "bob@example.com"]
    got = smtp.received[0]
    assert got.message["From"] == "Leadstreams <leads@example.com>"
    assert got.message["Subject"].startswith("New lead: Eve")
    text, html = got.part("plain"), got.part("html")
    for part in (text, html):
        assert "eve@acme.example" in part
        assert "Contact form" in part  # the stream
        assert "https://leads.example.com/leads/1" in part  # the link, from the base URL
        assert "nobody yet" in part  # the assignee
    assert '[x] Submitted form "Contact us" (seen 1 time)' in text  # why it matched
    assert "Submitted form &#34;Contact us&#34;" in html
    assert "Eve <script>x</script>" in text and "Acme & Co" in text
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "Acme &amp; Co" in html


def test_an_assigned_lead_mails_only_its_assignee_and_names_them(
    mailing: Context, smtp: SmtpServer
) -> None:
    _team(mailing, NotifyMode.IMMEDIATE, policy=Policy.ROUND_ROBIN)
    _lead(mailing, "eve@acme.example")
    assert mail.send_due(mailing) == 1
    [got] = smtp.received
    assert got.to == ["ann@example.com"]
    assert "Assigned to: ann" in got.part("plain")


def test_a_user_who_opted_out_gets_nothing(mailing: Context, smtp: SmtpServer) -> None:
    _, (ann, _bob) = _team(mailing, NotifyMode.IMMEDIATE)
    notifications.set_preference(mailing, user_id=ann, data=MailPreference(email=False))
    _lead(mailing, "eve@acme.example")
    assert mail.send_due(mailing) == 1
    assert [r.to for r in smtp.received] == [["bob@example.com"]]


def test_a_digest_waits_for_its_period_and_groups_each_users_leads(
    mailing: Context, smtp: SmtpServer
) -> None:
    _team(mailing, NotifyMode.DIGEST, minutes=15)
    for n in range(3):
        _lead(mailing, f"c{n}@acme.example")
        mailing.clock.advance(minutes=4)  # type: ignore[attr-defined]
    assert mail.send_due(mailing) == 0  # 12 minutes in: not yet
    mailing.clock.advance(minutes=3)  # type: ignore[attr-defined]
    assert mail.send_due(mailing) == 6  # three leads for each of two users
    assert len(smtp.received) == 2
    for got in smtp.received:
        assert got.message["Subject"] == "3 new leads"
        text = got.part("plain")
        assert all(f"c{n}@acme.example" in text for n in range(3))


def test_a_mail_server_that_is_down_delays_mail_and_loses_none(
    mailing: Context, smtp: SmtpServer
) -> None:
    _team(mailing, NotifyMode.IMMEDIATE, policy=Policy.ROUND_ROBIN)
    smtp.stop()
    _lead(mailing, "eve@acme.example")
    assert mail.send_due(mailing) == 0
    with mailing.uow(read_only=True) as uow:
        row = uow.connection.execute(select(mail_queue)).one()
    assert (row.attempts, row.sent_at) == (1, None) and row.last_error
    assert mail.send_due(mailing) == 0  # not due again before its retry time
    smtp.start()
    mailing.clock.advance(minutes=1)  # type: ignore[attr-defined]
    # The worker's loop sends it, as it would on its own.
    assert worker._step(mailing, "test", threading.Event()) is True
    assert [r.to for r in smtp.received] == [["ann@example.com"]]
    assert mail.send_due(mailing) == 0
    mailing.clock.advance(hours=1)  # type: ignore[attr-defined]
    assert mail.send_due(mailing) == 0 and len(smtp.received) == 1


def test_a_lead_matched_again_by_another_stream_of_the_team_mails_nobody_again(
    mailing: Context, smtp: SmtpServer
) -> None:
    team_id, _ = _team(mailing, NotifyMode.IMMEDIATE)
    builders.stream(mailing, {"event": "form_submitted"}, team_ids=[team_id], name="Any form")
    _lead(mailing, "eve@acme.example")
    assert mail.send_due(mailing) == 2
    with mailing.uow(read_only=True) as uow:
        assert len(uow.connection.execute(select(mail_queue)).all()) == 2


def test_without_smtp_settings_nothing_is_sent_and_the_queue_waits(ctx: Context) -> None:
    _team(ctx, NotifyMode.IMMEDIATE)
    _lead(ctx, "eve@acme.example")
    assert mail.send_due(ctx) == 0
    with ctx.uow(read_only=True) as uow:
        rows = uow.connection.execute(select(mail_queue)).all()
    assert len(rows) == 2 and all(r.sent_at is None for r in rows)


def test_workers_sending_at_once_send_each_mail_once(mailing: Context, smtp: SmtpServer) -> None:
    """Several workers (threads here, each with its own transactions) share the queue: on
    PostgreSQL they skip the rows another is claiming, on SQLite they take turns."""
    _team(mailing, NotifyMode.IMMEDIATE)
    for n in range(6):
        _lead(mailing, f"c{n}@acme.example")
    sent: list[int] = []
    workers = [
        threading.Thread(target=lambda: sent.append(mail.send_due(mailing, limit=2)))
        for _ in range(4)
    ]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    while mail.send_due(mailing, limit=2):
        pass
    recipients = sorted(
        (r.to[0], r.part("plain").split("<")[1].split(">")[0]) for r in smtp.received
    )
    assert len(recipients) == 12 and len(set(recipients)) == 12


def test_no_mail_leaves_before_its_leads_commit(postgres_engine: Engine, smtp: SmtpServer) -> None:
    """PostgreSQL: the lead's transaction is still open while a worker looks; the mail goes
    only after the commit."""
    reset(postgres_engine)
    ctx = make_context(postgres_engine, postgres_engine.url.render_as_string(hide_password=False))
    ctx.settings = ctx.settings.model_copy(update={"smtp_url": SecretStr(smtp.url)})
    _lead(ctx, "eve@acme.example")  # before any stream: no lead yet
    _team(ctx, NotifyMode.IMMEDIATE)
    with ctx.uow() as uow:
        index = ctx.live.current(uow)
        streams = list(index.streams.values())
        made = evaluate_contact(uow, index=index, contact_id=1, candidates=streams, trigger={})
        assert len(made) == 1
        assert mail.send_due(ctx) == 0  # another transaction: sees nothing yet
        uow.commit()
    assert mail.send_due(ctx) == 2
    assert len(smtp.received) == 2


def test_the_smtp_url_carries_the_login(ctx: Context) -> None:
    server = SmtpServer(credentials=("mailer", "p@ss word"))
    server.start()
    try:
        ctx.settings = ctx.settings.model_copy(
            update={"smtp_url": SecretStr(f"smtp://mailer:p%40ss%20word@127.0.0.1:{server.port}")}
        )
        _team(ctx, NotifyMode.IMMEDIATE, policy=Policy.ROUND_ROBIN)
        _lead(ctx, "eve@acme.example")
        assert mail.send_due(ctx) == 1
        assert server.logins[0] == ("mailer", "p@ss word")
        assert len(server.received) == 1
    finally:
        server.stop()
