"""What panelists read in their own language: gettext catalogs, numbers and dates by Babel.

English is the source language: the wording in templates and code is the message id.
Every other language has a catalog, ``app/translations/<lang>/LC_MESSAGES/messages.po``,
which is read and compiled in memory the first time the language is needed, so a fresh
clone runs without a build step and no ``.mo`` binary is committed. Numbers and dates are
written with the CLDR conventions of the language (``6,5`` and ``1er mars 2027`` in
French), through the Jinja filters ``decimal``, ``percent``, ``long_date`` and
``short_time``.

Templates translate with ``{% trans %}`` blocks and ``_()`` (Jinja's i18n extension, new
style: ``_("Round %(number)s", number=n)``). A sentence whose words follow a number is
written in both English forms, ``{% trans count=n %}…{% pluralize count %}…{% endtrans %}``
(``ngettext`` in code, ``app.errors.N_plural`` in the errors the services raise), and each
catalog gives as many forms as its language's ``Plural-Forms`` asks for. Which language
templates render in is the one set by :func:`use_language` for the duration of the render;
a context variable holds it, so concurrent requests in threads or tasks never see each
other's language. Code that needs a phrase outside a template asks :func:`translations` for
the language explicitly.

How to add a language (``de`` here), or update the catalogs after changing wording (the
engine's consensus-rule errors are extracted too, from ``engine``)::

    .venv/bin/pybabel extract -F app/translations/babel.cfg -o /tmp/messages.pot app engine
    .venv/bin/pybabel init -i /tmp/messages.pot -d app/translations -l de    # new language
    .venv/bin/pybabel update -i /tmp/messages.pot -d app/translations       # new wording

then fill in every empty ``msgstr`` (and clear each ``#, fuzzy`` flag once the guess is
checked: fuzzy entries are not used). ``tests/app/participation/test_translations.py``
fails while any message of any catalog lacks a translation. A study offers a language in
its YAML (``languages``); panelists whose language has no catalog read English.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel import Locale, dates, negotiate_locale, numbers, support
from babel.messages import mofile, pofile
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

__all__ = [
    "LANGUAGES",
    "N_",
    "SOURCE_LANGUAGE",
    "TRANSLATIONS_DIR",
    "current_language",
    "format_decimal",
    "format_percent",
    "format_long_date",
    "format_short_time",
    "in_language",
    "install",
    "locale",
    "language_name",
    "negotiate",
    "request_language",
    "text_direction",
    "translate",
    "translate_plural",
    "translations",
    "use_language",
]

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"

#: Every language the panelist pages and emails are written in, English first.
LANGUAGES: tuple[str, ...] = (
    SOURCE_LANGUAGE,
    *sorted(path.parts[-3] for path in TRANSLATIONS_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")),
)

# The panel is international: English dates the way CLDR's "world English" writes them
# ("1 March 2027"), not the US way ("March 1, 2027") that plain "en" stands for.
_FORMAT_LOCALES = {"en": "en_001"}

# Statistics keep at most two decimals and drop trailing zeros: 7, 6.5, 6.25, 0.67.
_DECIMAL_PATTERN = "#,##0.##"
NO_VALUE = "–"

_language: ContextVar[str] = ContextVar("language", default=SOURCE_LANGUAGE)


def negotiate(language: str | None) -> str:
    """The language of :data:`LANGUAGES` to use for ``language`` (``fr-CA`` → ``fr``).

    Anything without a catalog falls back to English.
    """
    if not language:
        return SOURCE_LANGUAGE
    wanted = language.replace("_", "-").lower()
    return negotiate_locale([wanted], LANGUAGES, sep="-") or SOURCE_LANGUAGE


@functools.cache
def translations(language: str) -> NullTranslations:
    """The gettext translations for ``language``, read from its ``.po`` file once."""
    language = negotiate(language)
    if language == SOURCE_LANGUAGE:
        return support.NullTranslations()
    with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = pofile.read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    mofile.write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return support.Translations(compiled, domain=DOMAIN)


@functools.cache
def locale(language: str) -> Locale:
    """The Babel locale whose conventions numbers and dates follow in ``language``."""
    language = negotiate(language)
    return Locale.parse(_FORMAT_LOCALES.get(language, language))


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """Render templates in ``language`` (negotiated) inside the ``with`` block."""
    token = _language.set(negotiate(language))
    try:
        yield _language.get()
    finally:
        _language.reset(token)


def current_language() -> str:
    """The language templates render in right now (English outside :func:`use_language`)."""
    return _language.get()


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs; it is translated where it is shown."""
    return message


def translate(message: str, params: Mapping[str, object] | None = None) -> str:
    """``message`` (marked with :func:`N_` where it was written) in the current language.

    ``params`` fill its ``%(name)s`` placeholders; without them the text is left as is, so
    a message that happens to hold a ``%`` sign cannot break the page.
    """
    return _filled(translations(_language.get()).gettext(message), params)


def translate_plural(
    singular: str, plural: str, n: int, params: Mapping[str, object] | None = None
) -> str:
    """The form of a message (marked with ``app.errors.N_plural``) that ``n`` takes in the
    current language, its placeholders filled from ``params`` as :func:`translate` does."""
    return _filled(translations(_language.get()).ngettext(singular, plural, n), params)


def _filled(text: str, params: Mapping[str, object] | None) -> str:
    # A value that is itself a message (app.errors.Say: a label, a state) shows itself in
    # the same language; looked up by its method so this module needs nothing of errors.
    return text % {name: _shown(value) for name, value in params.items()} if params else text


def _shown(value: object) -> object:
    text = getattr(value, "text", None)
    return text() if callable(text) else value


def request_language(session_language: object, accept_language: str | None) -> str:
    """The language of a page for someone not known to be a panelist of a study.

    The language kept in the session (a panelist's) comes first, then the browser's
    ``Accept-Language`` preferences in their order of quality, then English.
    """
    if isinstance(session_language, str) and session_language:
        return negotiate(session_language)
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        if tag and tag != "*" and weight > 0:
            wanted.append((-weight, position, tag.replace("_", "-").lower()))
    found = negotiate_locale([tag for *_, tag in sorted(wanted)], LANGUAGES, sep="-")
    return found or SOURCE_LANGUAGE


def text_direction(language: str) -> str:
    """``rtl`` for a language written right to left (Arabic), else ``ltr``: for ``dir``."""
    return locale(language).text_direction


@functools.lru_cache(maxsize=1024)
def language_name(language: str, in_language: str | None = None) -> str:
    """The name of ``language`` as readers of ``in_language`` (default: itself) write it."""
    name = Locale.parse(language.replace("-", "_")).get_display_name(
        locale(in_language or language)
    )
    return name or language


# ------------------------------------------------------------------ numbers and dates


# Kept per process (a pure function): a questionnaire page formats thousands of statistics.
@functools.lru_cache(maxsize=8192, typed=True)
def format_decimal(
    value: float | None,
    language: str,
    digits: int | None = None,
    *,
    trim: bool = False,
    sign: bool = False,
) -> str:
    """A statistic as people of ``language`` write it: ``6.5``, ``6,5``; ``–`` for none.

    Without ``digits``: at most two decimals, trailing zeros dropped. With ``digits``:
    exactly that many (``4.0``), or at most that many if ``trim``. ``sign`` puts the
    locale's plus or minus sign in front (``+0.5``, ``+0.0``, ``-1.0``).
    """
    if value is None:
        return NO_VALUE
    if digits is None:
        digits, trim = 2, True
    pattern = "#,##0" + ("." + ("#" if trim else "0") * digits if digits > 0 else "")
    where = locale(language)
    if not sign:
        return numbers.format_decimal(value, pattern, locale=where)
    magnitude = numbers.format_decimal(abs(value), pattern, locale=where)
    if value < 0:
        return numbers.get_minus_sign_symbol(where) + magnitude
    return numbers.get_plus_sign_symbol(where) + magnitude


def format_percent(value: float | None, language: str) -> str:
    """A share (0.75) as a whole percentage the way ``language`` writes it: ``75%``,
    ``75 %``; ``–`` for none."""
    if value is None:
        return NO_VALUE
    return numbers.format_percent(value, locale=locale(language))


def format_long_date(value: dt.date | str, language: str) -> str:
    """A day written out: ``1 March 2027``, ``1er mars 2027``, ``1 de marzo de 2027``.

    ``value`` is a date, a datetime (its date is used as is), or an ISO date string.
    """
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    elif isinstance(value, dt.datetime):
        value = value.date()
    where = locale(language)
    if where.language == "fr" and value.day == 1:
        # CLDR writes "1 mars"; French writes the first of the month as an ordinal.
        return dates.format_date(value, "d'er' MMMM y", locale=where)
    return dates.format_date(value, "long", locale=where)


def format_short_time(value: dt.datetime, language: str) -> str:
    """The time of day of an aware ``value`` in UTC: ``5:00 pm``, ``17:00``."""
    return dates.format_time(value, "short", tzinfo=dt.UTC, locale=locale(language))


# ------------------------------------------------------------------------------- Jinja


def _gettext(message: str) -> str:
    return translations(_language.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


def in_language(language: str, caller: Callable[[], str]) -> str:
    """``{% call in_language("fr") %}…{% endcall %}``: the block rendered in ``language``."""
    with use_language(language):
        return caller()


def install(env: Environment) -> None:
    """Give ``env`` gettext (the current language's), the i18n tags and the filters."""
    env.add_extension("jinja2.ext.i18n")
    # Line breaks and indentation inside {% trans %} are not part of the message.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    env.globals["in_language"] = in_language
    env.globals["current_language"] = current_language
    env.globals["translate"] = translate
    env.filters["direction"] = text_direction
    env.filters["language_name"] = language_name
    env.filters["decimal"] = _in_current_language(format_decimal)
    env.filters["percent"] = _in_current_language(format_percent)
    env.filters["long_date"] = _in_current_language(format_long_date)
    env.filters["short_time"] = _in_current_language(format_short_time)


def _in_current_language(formatter: Callable[..., str]) -> Callable[..., str]:
    """A Jinja filter applying ``formatter`` in the language of the render; the filter's
    arguments follow the language (``{{ x | decimal(1, sign=True) }}``)."""

    # pass_context keeps Jinja from folding ``{{ 6.5 | decimal }}`` into a constant at
    # compile time, in whatever language happened to be current then.
    @pass_context
    def apply(context: Context, value: Any, *args: Any, **kwargs: Any) -> str:
        return formatter(value, _language.get(), *args, **kwargs)

    return apply
