"""A lead's e-mail (one lead, or a digest of several) from Jinja templates: a plain-text and
an HTML part. The HTML templates are autoescaped; the text ones are plain text by nature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_env = Environment(
    loader=PackageLoader("leadstreams.mail", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of why a stream matched: a condition, whether it held, what was seen."""

    depth: int
    held: bool
    text: str


@dataclass(frozen=True, slots=True)
class StreamMatch:
    name: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class LeadMail:
    """What a mail says of one lead."""

    lead_id: int
    link: str
    contact_name: str
    email: str
    company: str | None
    title: str | None
    lead_score: int
    streams: tuple[StreamMatch, ...]
    assignee: str | None  # None: unassigned


def reasons(explanation: dict[str, Any] | None, depth: int = 0) -> list[Reason]:
    """The explanation tree (rules/explain.py) as indented lines."""
    if not explanation:
        return []
    held = bool(explanation.get("held"))
    for group, label in (("all", "All of these"), ("any", "Any of these")):
        if group in explanation:
            lines = [Reason(depth, held, label)]
            for child in explanation[group]:
                lines += reasons(child, depth + 1)
            return lines
    if "not" in explanation:
        return [Reason(depth, held, "Not this"), *reasons(explanation["not"], depth + 1)]
    text = str(explanation.get("text", ""))
    if "field" in explanation:
        text += f" (value seen: {_seen(explanation.get('seen'))})"
    elif "event" in explanation:
        count = explanation.get("count", 0)
        text += f" (seen {count} {'time' if count == 1 else 'times'})"
    return [Reason(depth, held, text)]


def _seen(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def render(
    leads: Sequence[LeadMail], *, to: str, sender: str, message_id: str | None = None
) -> EmailMessage:
    """One lead's mail, or a digest when there are several."""
    name = "lead" if len(leads) == 1 else "digest"
    context = {"leads": leads, "lead": leads[0]}
    message = EmailMessage()
    first = leads[0]
    message["Subject"] = (
        f"New lead: {first.contact_name}" if len(leads) == 1 else f"{len(leads)} new leads"
    )
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = message_id or f"<{uuid4().hex}@leadstreams>"
    message.set_content(_env.get_template(f"{name}.txt").render(context))
    message.add_alternative(_env.get_template(f"{name}.html").render(context), subtype="html")
    # Id and boundary from uuid4 (the system's randomness): the standard library's own draw
    # from the `random` module's shared state, which the worker's thread must leave alone.
    message.set_boundary(f"=={uuid4().hex}==")
    return message
