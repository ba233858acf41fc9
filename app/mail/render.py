"""Turn an outbox row into an email at send time: subject, plain text and HTML from Jinja.

One set of templates, ``app/templates/email/<template>.{subject,txt,html}``, serves every
language: their wording is translated with gettext and dates written by Babel (see
``app.i18n``). A language without a catalog reads English.
"""

from __future__ import annotations

import datetime as dt
import quopri
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app import i18n
from app.models import Outbox
from app.models.base import utcnow
from app.web.templating import TEMPLATES_DIR


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    language: str  # the language the copy is written in


# Separate from the web pages' environment: .txt and .subject must not be HTML-escaped,
# and StrictUndefined turns a missing context value into an error instead of a blank.
_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
i18n.install(_env)


def render(template: str, language: str, context: Mapping[str, Any]) -> RenderedMail:
    """Render ``template`` in ``language`` (else English); a missing template or value raises."""
    with i18n.use_language(language) as written_in:
        values = {**context, **_moments(context), "lang": written_in}
        parts = {
            extension: _env.get_template(f"email/{template}.{extension}").render(values)
            for extension in ("subject", "txt", "html")
        }
    # A header cannot hold line breaks; a study title could contain one.
    subject = " ".join(parts["subject"].split())
    return RenderedMail(subject=subject, text=parts["txt"], html=parts["html"], language=written_in)


# Context values that are moments, stored as ISO 8601 text in the outbox row.
MOMENTS = ("deadline", "previous_deadline")


def _moments(context: Mapping[str, Any]) -> dict[str, dt.datetime]:
    """The moments in ``context`` as aware UTC datetimes, for the date and time filters."""
    found = {}
    for key in MOMENTS:
        value = context.get(key)
        if not isinstance(value, str):
            continue
        if len(value) == len("YYYY-MM-DD"):
            # Rows queued before deadlines had times: a date meant the end of that day.
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(23, 59, 59))
        else:
            moment = dt.datetime.fromisoformat(value)
        found[key] = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    return found


def message_id(outbox_id: int, sender: str) -> str:
    """A Message-ID for outbox row ``outbox_id``, kept for every attempt at sending it.

    A message sent twice (a retry after a timeout, a requeued crash) then carries the same
    id, so a receiving system can drop the duplicate. The random part keeps ids distinct
    between installations and after a database is rebuilt and its row numbers reused.
    """
    return f"<outbox-{outbox_id}.{secrets.token_hex(8)}@{_domain(sender)}>"


def _domain(sender: str) -> str:
    # The sender's domain, not this host's name, so the id reveals nothing about the server.
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


@dataclass(frozen=True)
class Composed:
    """A message ready for the wire: the envelope and the bytes (CRLF line ends)."""

    sender: str  # the envelope sender address (``MAIL FROM``)
    recipient: str
    raw: bytes
    # An address outside ASCII: the headers are UTF-8 (RFC 6532), sent with SMTPUTF8.
    international: bool


def compose(row: Outbox, *, link: str | None, sender: str) -> Composed:
    """The complete message for ``row``, with ``link`` (the unsealed access link) in its body.

    Its Message-ID is ``row.message_id`` (set when the worker claims the row), else a new one.
    Written out directly as multipart/alternative (plain text, then HTML, each UTF-8 in
    quoted-printable) rather than through ``email.message.EmailMessage``, whose header
    objects and generator took most of the worker's time per message.
    """
    if row.to_address is None:
        raise ValueError(f"outbox {row.id} has no recipient: it was sent or given up on")
    context = dict(row.context)
    if link is not None:
        context["link"] = link
    rendered = render(row.template, row.language, context)
    sender_name, sender_address = parseaddr(sender)
    international = not (row.to_address.isascii() and sender_address.isascii())
    boundary = f"==delphi-{secrets.token_hex(12)}"
    headers = [
        ("Subject", rendered.subject),
        ("From", _mailbox(sender_name, sender_address, international)),
        ("To", _mailbox(str(context.get("name", "")), row.to_address, international)),
        ("Date", format_datetime(utcnow())),
        ("Message-ID", row.message_id or make_msgid(domain=_domain(sender))),
        # RFC 3834: tells out-of-office responders not to answer a machine-sent invitation.
        ("Auto-Submitted", "auto-generated"),
        ("Content-Language", rendered.language),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
    ]
    lines = [_header(name, value, international) for name, value in headers]
    for subtype, body in (("plain", rendered.text), ("html", rendered.html)):
        lines += [
            "",
            f"--{boundary}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
            "",
            _quoted_printable(body),
        ]
    lines += [f"--{boundary}--", ""]
    return Composed(
        sender=sender_address,
        recipient=row.to_address,
        raw="\r\n".join(lines).encode(),
        international=international,
    )


def _mailbox(name: str, address: str, international: bool) -> str:
    if international:  # RFC 6532: UTF-8 as it is, the name quoted
        return f'"{_quote(name)}" <{address}>' if name else address
    return formataddr((name, address), charset="utf-8")


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def _header(name: str, value: str, international: bool) -> str:
    """``Name: value``, folded to 78 columns; outside ASCII as RFC 2047 encoded words."""
    if international:
        return f"{name}: {value}"
    charset = "us-ascii" if value.isascii() else "utf-8"
    return f"{name}: " + Header(value, charset, header_name=name).encode(linesep="\r\n")


def _quoted_printable(text: str) -> str:
    """``text`` as quoted-printable lines with CRLF ends (RFC 2045)."""
    body = "\n".join(text.splitlines()).encode()
    return quopri.encodestring(body).decode("ascii").replace("\n", "\r\n")
