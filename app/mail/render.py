"""Turn an outbox row into an email at send time: subject, plain text and HTML from Jinja.

Templates live in ``app/templates/email/<language>/<template>.{subject,txt,html}``; a
language without its own templates falls back to English.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.models import Outbox
from app.models.base import utcnow
from app.web.templating import TEMPLATES_DIR

FALLBACK_LANGUAGE = "en"

_MONTHS = {
    "en": "January February March April May June July August September October November "
    "December".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre".split(),
}
_DATE_PATTERNS = {"en": "{d} {m} {y}", "fr": "{d} {m} {y}", "es": "{d} de {m} de {y}"}


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def long_date(value: str, language: str) -> str:
    """An ISO date written out the way a reader of ``language`` expects ("1 March 2027")."""
    day = dt.date.fromisoformat(value)
    months = _MONTHS.get(language)
    if months is None:
        return day.isoformat()
    # French writes the first of the month as an ordinal: "1er mars".
    number = "1er" if language == "fr" and day.day == 1 else str(day.day)
    return _DATE_PATTERNS[language].format(d=number, m=months[day.month - 1], y=day.year)


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
_env.filters["long_date"] = long_date


def _candidates(language: str, template: str, extension: str) -> list[str]:
    languages = [language, language.split("-")[0], FALLBACK_LANGUAGE]
    return [f"email/{lang}/{template}.{extension}" for lang in dict.fromkeys(languages)]


def render(template: str, language: str, context: Mapping[str, Any]) -> RenderedMail:
    """Render ``template`` in ``language`` (else English); a missing template or value raises."""
    values = {**context, "lang": language}
    parts = {}
    for extension in ("subject", "txt", "html"):
        chosen = _env.select_template(_candidates(language, template, extension))
        # The template actually found decides the language the copy is written in.
        values["lang"] = chosen.name.split("/")[1] if chosen.name else FALLBACK_LANGUAGE
        parts[extension] = chosen.render(values)
    # A header cannot hold line breaks; a study title could contain one.
    subject = " ".join(parts["subject"].split())
    return RenderedMail(subject=subject, text=parts["txt"], html=parts["html"])


def compose(row: Outbox, *, link: str | None, sender: str) -> EmailMessage:
    """The complete message for ``row``, with ``link`` (the unsealed access link) in its body."""
    context = dict(row.context)
    if link is not None:
        context["link"] = link
    rendered = render(row.template, row.language, context)
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = formataddr((str(context.get("name", "")), row.to_address))
    message["Date"] = format_datetime(utcnow())
    # The sender's domain, not this host's name, so the id reveals nothing about the server.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    # RFC 3834: tells out-of-office responders not to answer a machine-sent invitation.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    # Set last: set_content() drops any Content-* header already on the message.
    message["Content-Language"] = row.language
    return message
