"""Every phrase a panelist can read exists in each language; numbers and dates read locally.

The messages are extracted from the templates and code exactly as the documented
``pybabel extract`` command does (same configuration file), then looked up in each
language's catalog.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from jinja2 import Environment

import app
import engine
from app import i18n
from app.web.templating import templates
from tools import french_typography

APP_DIR = Path(app.__file__).resolve().parent
ENGINE_DIR = Path(engine.__file__).resolve().parent
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The messages in the templates and code, by the documented extraction command."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    config = i18n.TRANSLATIONS_DIR / "babel.cfg"
    command = ["pybabel", "-q", "extract", "-F", str(config), "-o", str(pot)]
    CommandLineInterface().run([*command, str(APP_DIR), str(ENGINE_DIR)])
    with pot.open("rb") as file:
        return read_po(file)


def catalog(language: str) -> Catalog:
    with (i18n.TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file)


def forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class TestCatalogs:
    def test_the_languages_are_the_six_of_the_united_nations(self) -> None:
        assert i18n.LANGUAGES == ("en", "ar", "es", "fr", "ru", "zh")

    def test_extraction_covers_pages_emails_and_code(self, extracted: Catalog) -> None:
        ids = {forms(m.id)[0] for m in extracted if m.id}
        assert "Submit answers" in ids  # participant pages
        assert "Dear %(name)s," in ids  # emails
        assert "Your invitation: round %(number)s of %(title)s" in ids  # email subjects
        assert "Cannot judge" in ids  # participation code
        assert "Skip to main content" in ids  # the shared page frame
        assert "Page not found" in ids  # the error pages
        assert "There is no page at this address." in ids  # marked with N_ in the web layer
        assert "consensus rule %(rule)r ends too early" in ids  # the engine's rule errors

    @pytest.mark.parametrize("language", TRANSLATED)
    def test_every_message_has_a_translation(self, extracted: Catalog, language: str) -> None:
        translations = catalog(language)
        missing = []
        for message in extracted:
            if not message.id:
                continue
            found = translations.get(message.id)
            # A fuzzy entry is a guess that nobody checked: it is not used at run time.
            if found is None or found.fuzzy or not all(forms(found.string)):
                missing.append(forms(message.id)[0])
            elif len(forms(found.string)) != translations.num_plurals and found.pluralizable:
                missing.append(forms(message.id)[0])
        assert missing == []

    @pytest.mark.parametrize(
        ("language", "plurals"), [("ar", 6), ("es", 3), ("fr", 3), ("ru", 3), ("zh", 1)]
    )
    def test_every_plural_message_has_each_form_of_the_language(
        self, extracted: Catalog, language: str, plurals: int
    ) -> None:
        """A message with a number has as many forms as the language's grammar (Plural-Forms:
        CLDR's categories, the millions of French and Spanish included), each written."""
        translations = catalog(language)
        assert translations.num_plurals == plurals
        wanted = {forms(m.id)[0]: forms(m.id)[1] for m in extracted if m.id and m.pluralizable}
        assert len(wanted) > 50
        incomplete = []
        for message in translations:
            if not message.id or not message.pluralizable:
                continue
            written = [text for text in forms(message.string) if text.strip()]
            if len(written) != plurals or wanted.get(forms(message.id)[0]) != forms(message.id)[1]:
                incomplete.append(forms(message.id)[0])
        # A message made plural in the code must be plural in the catalog too, not an old
        # one-form entry found under its singular.
        singular = [
            key for key in wanted if not (found := translations.get(key)) or not found.pluralizable
        ]
        assert incomplete == []
        assert singular == []

    @pytest.mark.parametrize("language", TRANSLATED)
    def test_translations_keep_the_placeholders(self, language: str) -> None:
        for message in catalog(language):
            if not message.id:
                continue
            wanted = set(PLACEHOLDER.findall(" ".join(forms(message.id))))
            for text in forms(message.string):
                assert set(PLACEHOLDER.findall(text)) == wanted, forms(message.id)[0]

    def test_french_punctuation_has_its_no_break_spaces(self) -> None:
        """A no-break space before ":" and inside « », a narrow one before ";", "?" and "!",
        so no line of a French page starts with the mark (``python -m
        tools.french_typography`` puts them in)."""
        catalog = i18n.TRANSLATIONS_DIR / "fr" / "LC_MESSAGES" / "messages.po"
        assert french_typography.check(catalog) == []

    def test_a_language_without_a_catalog_reads_english(self) -> None:
        assert i18n.negotiate("de") == "en"
        assert i18n.translations("de").gettext("Submit answers") == "Submit answers"

    @pytest.mark.parametrize(
        ("asked", "used"),
        [("fr-CA", "fr"), ("es_MX", "es"), ("FR", "fr"), ("zh-Hans-CN", "zh"), ("ar-EG", "ar")],
    )
    def test_a_regional_variant_reads_its_base_language(self, asked: str, used: str) -> None:
        assert i18n.negotiate(asked) == used


class TestFormats:
    @pytest.mark.parametrize(
        ("language", "value", "shown"),
        [
            ("en", 7.0, "7"),
            ("en", 6.5, "6.5"),
            ("en", 6.25, "6.25"),
            ("en", 2 / 3, "0.67"),
            ("fr", 6.5, "6,5"),
            ("es", 2 / 3, "0,67"),
            ("fr", None, "–"),
            ("ru", 6.5, "6,5"),
            ("ru", 1234.5, "1\xa0234,5"),
            # Arabic pages keep the digits of the scale and the charts (0-9), as UN Arabic
            # documents do.
            ("ar", 6.5, "6.5"),
            ("zh", 6.25, "6.25"),
        ],
    )
    def test_statistics_read_as_people_write_them(
        self, language: str, value: float | None, shown: str
    ) -> None:
        assert i18n.format_decimal(value, language) == shown

    @pytest.mark.parametrize(
        ("language", "shown"),
        [
            ("en", ["4.0", "3.50", "6.5", "+0.3", "-1.0", "75%", "–"]),
            ("fr", ["4,0", "3,50", "6,5", "+0,3", "-1,0", "75\xa0%", "–"]),
            ("es", ["4,0", "3,50", "6,5", "+0,3", "-1,0", "75\xa0%", "–"]),
            ("ru", ["4,0", "3,50", "6,5", "+0,3", "-1,0", "75\xa0%", "–"]),
            ("zh", ["4.0", "3.50", "6.5", "+0.3", "-1.0", "75%", "–"]),
            # CLDR's Arabic signs carry a left-to-right mark, so "+0.3" stays in one piece
            # in a right-to-left line.
            ("ar", ["4.0", "3.50", "6.5", "\u200e+0.3", "\u200e-1.0", "75%", "–"]),
        ],
    )
    def test_fixed_digits_signs_and_percentages(self, language: str, shown: list[str]) -> None:
        assert [
            i18n.format_decimal(4, language, 1),
            i18n.format_decimal(3.5, language, 2),
            i18n.format_decimal(6.54, language, 1, trim=True),
            i18n.format_decimal(0.3, language, 1, sign=True),
            i18n.format_decimal(-1, language, 1, sign=True),
            i18n.format_percent(0.75, language),
            i18n.format_percent(None, language),
        ] == shown

    def test_the_filters_take_the_options(self) -> None:
        page = Environment()
        i18n.install(page)
        template = page.from_string(
            "{{ 3.5 | decimal(1) }} {{ 0.25 | decimal(2, sign=True) }} {{ 0.8 | percent }}"
        )
        with i18n.use_language("fr"):
            assert template.render() == "3,5 +0,25 80\xa0%"
        assert template.render() == "3.5 +0.25 80%"

    @pytest.mark.parametrize(
        ("language", "day", "shown"),
        [
            ("en", "2027-03-01", "1 March 2027"),
            ("fr", "2027-03-01", "1er mars 2027"),
            ("fr", "2027-03-02", "2 mars 2027"),
            ("es", "2027-03-01", "1 de marzo de 2027"),
            ("ru", "2027-03-01", "1 марта 2027\u202fг."),
            ("zh", "2027-03-01", "2027年3月1日"),
            ("ar", "2027-03-01", "1 مارس 2027"),
        ],
    )
    def test_dates_are_written_out(self, language: str, day: str, shown: str) -> None:
        assert i18n.format_long_date(day, language) == shown
        assert i18n.format_long_date(dt.date.fromisoformat(day), language) == shown


class TestRequestLanguage:
    """The language of a page for a visitor who is not (yet) a known panelist."""

    @pytest.mark.parametrize(
        ("session", "header", "used"),
        [
            ("fr", "ar", "fr"),  # a panelist's language, kept in the session, comes first
            (None, "de-DE,de;q=0.9,ar;q=0.8,en;q=0.5", "ar"),
            (None, "ru;q=0.1, es;q=0.2", "es"),
            (None, "zh-CN", "zh"),
            (None, "x;q=abc, de", "en"),
            (None, None, "en"),
        ],
    )
    def test_session_then_browser_then_english(
        self, session: str | None, header: str | None, used: str
    ) -> None:
        assert i18n.request_language(session, header) == used

    def test_arabic_is_written_right_to_left(self) -> None:
        assert [i18n.text_direction(language) for language in i18n.LANGUAGES] == [
            "ltr",
            "rtl",
            "ltr",
            "ltr",
            "ltr",
            "ltr",
        ]


class TestConcurrentRenders:
    def test_each_thread_renders_in_its_own_language(self) -> None:
        """Sync routes run in a thread pool: a render never sees another request's language."""
        template = templates.env.from_string('{{ _("Submit answers") }} {{ 6.5 | decimal }}')
        expected = {"en": "Submit answers 6.5", "fr": "Envoyer mes réponses 6,5"}
        languages = list(expected) * 8
        # Every thread sets its language, then all render at once.
        barrier = threading.Barrier(len(languages))

        def render(language: str) -> str:
            with i18n.use_language(language):
                barrier.wait(timeout=10)
                return template.render()

        with ThreadPoolExecutor(max_workers=len(languages)) as pool:
            rendered = list(pool.map(render, languages))
        assert rendered == [expected[language] for language in languages]
        assert i18n.current_language() == "en"
