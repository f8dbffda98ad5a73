"""Sending over SMTP with the standard library, configured by one URL:
`smtp://user:password@host:port` (STARTTLS when the server offers it), `smtps://` for TLS."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 30.0


class MailSender(Protocol):
    def send(self, messages: list[EmailMessage]) -> list[Exception | None]:
        """Send each message; what went wrong with each (None: accepted by the server)."""
        ...


class SmtpSender:
    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("use smtp://user:password@host:port or smtps://...")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password or "")
        self.timeout = timeout

    def send(self, messages: list[EmailMessage]) -> list[Exception | None]:
        """Over one connection; a server that cannot be reached fails every message."""
        try:
            return self._send(messages)
        except (OSError, smtplib.SMTPException) as error:
            return [error] * len(messages)

    def _send(self, messages: list[EmailMessage]) -> list[Exception | None]:
        if self.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        results: list[Exception | None] = []
        with client:
            client.ehlo()
            if not self.tls and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if self.user:
                client.login(self.user, self.password)
            for message in messages:
                try:
                    client.send_message(message)
                    results.append(None)
                except smtplib.SMTPRecipientsRefused as error:
                    results.append(error)  # this recipient only; the rest still go
        return results
