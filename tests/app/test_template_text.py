"""No template shows a word that the catalogs cannot translate.

Each template is cut by Jinja's own lexer. Whatever is literal text (a ``data`` token)
outside ``{% trans %}`` blocks is what a reader sees verbatim in every language; after the
markup is taken out (tags, comments, entities), it must hold no letter. Words belong in
``{% trans %}`` or ``_()``, where pybabel extracts them. The attributes a reader or a
screen reader meets (``title``, ``alt``, ``placeholder``, ``aria-label``) are checked too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.web.templating import TEMPLATES_DIR, templates

# Every page, email and console page a person reads.
CHECKED = sorted(
    path
    for path in TEMPLATES_DIR.rglob("*")
    if path.is_file()
    and path.suffix in (".html", ".txt", ".subject")
    # The API documentation pages are third-party viewers for analysts, in English.
    and path.parent.name != "apidocs"
)
HOLE = "\x00"  # where an expression or a tag of Jinja stood
VISIBLE_ATTRIBUTE = re.compile(
    r"""\b(?:title|alt|placeholder|aria-label)\s*=\s*(["'])(.*?)\1""", re.S
)
MARKUP = re.compile(r"<!--.*?-->|<[^>]*>|&#?\w+;", re.S)
LETTER = re.compile(r"[^\W\d_]")


def literal_text(source: str) -> str:
    """The template's literal text outside ``{% trans %}`` blocks, Jinja parts as holes."""
    parts: list[str] = []
    in_trans = False
    expect_tag = False
    for _, kind, value in templates.env.lex(source):
        if kind == "block_begin":
            expect_tag = True
            continue
        if expect_tag and kind == "name":
            if value in ("trans", "pluralize"):
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        if kind != "whitespace":
            expect_tag = False
        if kind == "data" and not in_trans:
            parts.append(value)
        elif not parts or parts[-1] != HOLE:
            parts.append(HOLE)
    return "".join(parts)


def untranslated(source: str) -> list[str]:
    """Each run of literal words a reader would see untranslated."""
    text = literal_text(source)
    found = [value for _, value in VISIBLE_ATTRIBUTE.findall(text) if LETTER.search(value)]
    for run in MARKUP.sub(HOLE, text).split(HOLE):
        if LETTER.search(run):
            found.append(" ".join(run.split()))
    return found


def test_there_are_templates_to_check() -> None:
    names = {path.relative_to(TEMPLATES_DIR).as_posix() for path in CHECKED}
    assert {"base.html", "error.html", "participant/questionnaire.html"} <= names
    assert "email/invitation.txt" in names
    assert "facilitator/study.html" in names


def test_every_checked_console_page_is_extracted_for_the_catalogs() -> None:
    """A console page the check covers is also read by pybabel (app/translations/babel.cfg)."""
    config = (TEMPLATES_DIR.parent / "translations" / "babel.cfg").read_text()
    for path in CHECKED:
        name = path.relative_to(TEMPLATES_DIR).as_posix()
        if name.startswith("facilitator/"):
            assert f"[jinja2: templates/{name}]" in config, name


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: p.relative_to(TEMPLATES_DIR).as_posix())
def test_every_word_goes_through_the_catalogs(path: Path) -> None:
    assert untranslated(path.read_text(encoding="utf-8")) == []


class TestTheCheck:
    """The check itself finds what it should, and only that."""

    @pytest.mark.parametrize(
        "source",
        [
            "<p>Save draft</p>",
            '<button title="Close">{{ _("x") }}</button>',
            "<h1>{{ title }} overview</h1>",
            "{% if x %}Статус{% endif %}",
            '<img alt="Chart" src="{{ src }}">',
        ],
    )
    def test_a_literal_word_is_found(self, source: str) -> None:
        assert untranslated(source) != []

    @pytest.mark.parametrize(
        "source",
        [
            '<p class="lead">{{ _("Save draft") }}</p>',
            "{% trans n=3 %}{{ n }} statement{% pluralize %}{{ n }} statements{% endtrans %}",
            '<a href="{{ url }}" aria-labelledby="x-1">{{ label }}</a>',
            "<!-- a comment --> &nbsp; – 12 ▼ {# a Jinja comment #}",
            '{% set heading = "h1" %}<{{ heading }}>{{ text }}</{{ heading }}>',
        ],
    )
    def test_markup_and_translated_text_pass(self, source: str) -> None:
        assert untranslated(source) == []
