"""Six languages on the panelist pages: right to left, the switcher, fallbacks, the mail."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.mail.render import render
from app.models import Outbox, Panelist, Round, Survey
from app.rounds import invitations
from app.rounds import service as rounds
from app.statements import service as statements
from app.studies import service as studies
from tests.app import factories
from tests.app.participation.conftest import Browser, Page, add_panelist, csrf_of

FALLBACK_STUDY = """\
key: fallbacks
title: {en: A study, fr: Une étude}
languages: [en, fr]
translation_fallbacks: true
stakeholder_groups:
  - {key: ngo, label: {en: NGOs, fr: ONG}}
criteria:
  - key: importance
    label: {en: Importance, fr: Importance}
    question: {en: "How important is it?", fr: "Quelle importance ?"}
    scale: {low: 1, high: 9}
topics:
  - key: cyber
    title: {en: Cybercrime, fr: Cybercriminalité}
    statements:
      - {key: s1, text: {en: First statement, fr: Premier énoncé}}
      - {key: s2, text: {en: Second statement}}
"""


def _switch(browser: Browser, language: str, csrf: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf if csrf is not None else csrf_of(browser.page())
    return browser.client.post(
        "/round/language",
        data={"language": language, "csrf_token": token},
        follow_redirects=False,
    )


class TestRightToLeft:
    def test_an_arabic_panelist_reads_the_study_in_arabic_right_to_left(
        self, db: Session, survey: Survey, round1: Round, enter: Callable[..., Browser]
    ) -> None:
        html = enter(round1, add_panelist(db, survey, 90, language="ar")).page()
        assert '<html lang="ar" dir="rtl">' in html
        text = Page(html).text
        assert round1.items[0].statement.text["ar"] in text
        assert "حفظ ومتابعة" in text  # "Save and continue"
        assert survey.title["ar"] in text
        # The scale's numbers stay Western digits, in scale order; CSS lays them out.
        page = Page(html)
        first = f"r-{round1.items[0].statement_id}-{survey.criteria[0].id}"
        assert [r["value"] for r in page.all("input", name=first)][:9] == [
            str(n) for n in range(1, 10)
        ]
        assert "Not translated yet" not in text


class TestSwitcher:
    def test_the_switcher_offers_each_language_of_the_study_named_in_itself(
        self, browser: Browser
    ) -> None:
        page = Page(browser.topic(1))
        offered = [b["value"] for b in page.all("button", name="language")]
        assert offered == ["fr", "es", "ar", "zh", "ru"]  # English is the page's own
        assert [s["lang"] for s in page.all("span", **{"aria-current": "true"})] == ["en"]
        for name in ("العربية", "中文", "русский", "français", "español"):
            assert name in page.text

    def test_a_choice_is_kept_for_the_pages_and_the_mail(
        self, db: Session, survey: Survey, round1: Round, browser: Browser
    ) -> None:
        response = _switch(browser, "ru")
        assert response.status_code == 303
        assert response.headers["location"] == "/round"
        html = browser.page()
        assert '<html lang="ru" dir="ltr">' in html
        assert round1.items[0].statement.text["ru"] in Page(html).text
        panelist = db.get(Panelist, browser.panelist.id)
        assert panelist is not None
        assert panelist.language == "ru"
        # The next mail they get is written in Russian.
        invitations.remind_one(db, survey, round1, panelist, actor="test")
        row = db.scalars(
            select(Outbox).where(Outbox.panelist_id == panelist.id).order_by(Outbox.id.desc())
        ).first()
        assert row is not None
        assert row.language == "ru"
        mail = render(row.template, row.language, {**row.context, "link": "https://x/r/t"})
        assert mail.subject.startswith("Напоминание: тур 1")
        assert survey.title["ru"] in mail.subject

    def test_an_unknown_code_reads_the_studys_default_language(
        self, db: Session, browser: Browser
    ) -> None:
        _switch(browser, "fr")
        assert _switch(browser, "xx-evil").status_code == 303
        assert '<html lang="en" dir="ltr">' in browser.page()
        panelist = db.get(Panelist, browser.panelist.id)
        assert panelist is not None
        assert panelist.language == "en"

    def test_a_switch_without_the_forms_token_changes_nothing(
        self, db: Session, browser: Browser
    ) -> None:
        assert _switch(browser, "ar", csrf="forged").status_code == 403
        panelist = db.get(Panelist, browser.panelist.id)
        assert panelist is not None
        assert panelist.language == "en"


class TestFallbacks:
    def test_an_untranslated_statement_shows_the_default_text_marked_as_such(
        self, db: Session, enter: Callable[..., Browser]
    ) -> None:
        survey = studies.create(db, studies.parse(FALLBACK_STUDY), FALLBACK_STUDY, actor="test")
        panelists = [add_panelist(db, survey, n, language="fr", group="ngo") for n in range(3)]
        round_ = rounds.launch(db, survey, actor="test")
        html = enter(round_, panelists[0]).page()
        page = Page(html)
        assert "Premier énoncé" in page.text
        assert "Second statement" in page.text
        # Only the second is marked: its text carries lang="en", and a note says so.
        assert [
            s["lang"] for s in page.all("span", **{"class": "statement__text"}) if s.get("lang")
        ] == ["en"]
        assert page.text.count("Pas encore traduit : affiché en anglais.") == 1

    def test_a_statement_reworded_without_a_language_is_shown_in_the_default_one(
        self, db: Session, enter: Callable[..., Browser]
    ) -> None:
        """A study with fallbacks launches the next round over a missing translation; the
        panelist reads the reworded text in the default language, marked as such."""
        survey = studies.create(db, studies.parse(FALLBACK_STUDY), FALLBACK_STUDY, actor="test")
        panelists = [add_panelist(db, survey, n, language="fr", group="ngo") for n in range(3)]
        first = rounds.launch(db, survey, actor="test")
        for panelist in panelists:
            factories.submit(db, survey, first, panelist, lambda j, c: 5)
        rounds.close(db, survey, first, actor="test")
        s1 = next(s for s in survey.statements if s.key == "s1")
        statements.reword(db, survey, s1, {"en": "First statement, reworded"}, actor="test")
        assert [m.languages for m in statements.missing_translations(db, survey)] == [["fr"]]
        second = rounds.launch(db, survey, actor="test")
        page = Page(enter(second, panelists[0]).page())
        assert "First statement, reworded" in page.text
        # The reworded statement and the seeded one without French are both marked.
        languages = [s.get("lang") for s in page.all("span", **{"class": "statement__text"})]
        assert languages == ["en", "en"]
        assert page.text.count("Pas encore traduit : affiché en anglais.") == 2
