"""The questionnaire page: every statement, accessible controls, drafts, language."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from app.models import Panelist, Round, Survey
from app.rounds import service as rounds
from tests.app.participation.conftest import Browser, Page, add_panelist, full_form


class TestQuestionnaire:
    def test_every_statement_and_criterion_is_asked(
        self, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        html = browser.page()
        page = Page(html)
        for item in round1.items:
            assert item.statement.text["en"] in page.text
            for c in survey.criteria:
                name = f"r-{item.statement_id}-{c.id}"
                values = [r["value"] for r in page.all("input", name=name)]
                assert values == [*map(str, c.points), "cj"]
        # A fieldset per statement and rating criterion, and per topic and ranking question.
        ratings = [f for f in page.all("fieldset") if not f.get("id", "").startswith("ranking-")]
        assert len(ratings) == len(round1.items) * len(survey.criteria)
        assert len(page.all("fieldset")) == len(ratings) + len(survey.topics)
        assert len(page.all("legend")) == len(page.all("fieldset"))
        reasons = [t for t in page.all("textarea") if t["name"].startswith("reason-")]
        assert len(reasons) == len(round1.items)
        # The demo study takes proposals on rating rounds: one box per topic.
        proposals = [t for t in page.all("textarea") if t["name"].startswith("proposal-")]
        assert len(proposals) == len(survey.topics)
        assert f"0 of {len(round1.items)} statements answered" in page.text

    def test_each_topic_has_a_page_of_its_own_with_a_step_indicator(
        self, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        count = len(survey.topics)
        for number, topic in enumerate(survey.topics, start=1):
            page = Page(browser.topic(number))
            assert f"Topic {number} of {count} {topic.title['en']}" in page.text
            assert page.text.startswith(f"{topic.title['en']} – Topic {number} of {count} – ")
            statements = {
                item.statement.text["en"]
                for item in round1.items
                if item.statement.topic_id == topic.id
            }
            others = {item.statement.text["en"] for item in round1.items} - statements
            assert all(text in page.text for text in statements)
            assert not any(text in page.text for text in others)
            assert page.all("input", type="hidden", name="page", value=str(number))

    def test_every_control_has_a_label_and_its_hint_is_linked(self, browser: Browser) -> None:
        page = Page(browser.page())
        labelled = {label["for"] for label in page.all("label")}
        controls = page.all("input", type="radio") + page.all("textarea")
        assert controls
        assert all(control["id"] in labelled for control in controls)
        for fieldset in page.all("fieldset"):
            described = fieldset["aria-describedby"].split()
            assert described
            assert all(target in page.ids for target in described)
        for textarea in page.all("textarea"):
            assert all(t in page.ids for t in textarea["aria-describedby"].split())

    def test_scale_anchors_and_cannot_judge_are_shown(self, browser: Browser) -> None:
        html = browser.page()
        assert "1 = Not important" in html
        assert "9 = Critically important" in html
        assert "5 = Highly feasible" in html
        assert "Cannot judge" in html

    def test_the_pages_move_on_save_and_submit_from_the_summary(self, browser: Browser) -> None:
        def buttons(html: str) -> set[tuple[str, str]]:
            return {(b["name"], b["value"]) for b in Page(html).all("button", name="action")}

        assert buttons(browser.topic(1)) == {("action", "save"), ("action", "next")}
        assert buttons(browser.topic(2)) == {
            ("action", "save"),
            ("action", "next"),
            ("action", "previous"),
        }
        assert buttons(browser.topic(3)) == {
            ("action", "save"),
            ("action", "review"),
            ("action", "previous"),
        }
        summary = browser.summary()
        assert buttons(summary) == {("action", "submit")}
        for html in (browser.topic(1), summary):
            page = Page(html)
            assert page.all("input", type="hidden", name="csrf_token")
            assert page.all("form", method="post", action="/round")

    def test_round_one_shows_no_feedback(self, browser: Browser) -> None:
        html = browser.page()
        assert "<svg" not in html
        assert "How the panel rated" not in html

    def test_the_page_is_not_cached(self, browser: Browser) -> None:
        response = browser.client.get("/round")
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"

    @pytest.mark.parametrize(
        ("language", "shown"),
        [
            ("en", "Please answer by 1 March 2099, 5:00 pm UTC."),
            ("fr", "Merci de répondre avant le 1er mars 2099 à 17:00 UTC."),
            ("es", "Responda antes del 1 de marzo de 2099 a las 17:00 UTC."),
        ],
    )
    def test_the_deadline_is_shown_as_the_panelist_writes_dates(
        self,
        db: Session,
        survey: Survey,
        panel: list[Panelist],
        enter: Callable[..., Browser],
        language: str,
        shown: str,
    ) -> None:
        deadline = dt.datetime(2099, 3, 1, 17, 0, tzinfo=dt.UTC)
        round_ = rounds.launch(db, survey, deadline=deadline, actor="test")
        panelist = add_panelist(db, survey, 97, language=language)
        assert shown in Page(enter(round_, panelist).page()).text


class TestDraft:
    def test_a_saved_draft_is_shown_on_return(
        self, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        first = round1.items[0].statement_id
        importance, feasibility = survey.criteria
        form = {
            f"r-{first}-{importance.id}": "8",
            f"r-{first}-{feasibility.id}": "cj",
            f"reason-{first}": "Works where the contact is staffed at night.",
        }
        response = browser.post({**form, "page": "1"}, "save")
        assert response.status_code == 303
        # Back to the same topic, at the first statement still to rate.
        second = round1.items[1].statement_id
        assert response.headers["location"] == f"/round?topic=1&status=saved#statement-{second}"
        html = browser.client.get(response.headers["location"]).text
        assert "Your draft is saved." in html
        page = Page(html)
        checked = {r["id"] for r in page.all("input", type="radio") if "checked" in r}
        assert checked == {f"r-{first}-{importance.id}-8", f"r-{first}-{feasibility.id}-cj"}
        assert "Works where the contact is staffed at night.</textarea>" in html
        assert "1 of 27 statements answered" in page.text
        assert "not submitted yet" in page.text

    def test_a_new_draft_replaces_the_old_one(
        self, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        first, second = (item.statement_id for item in round1.items[:2])
        importance = survey.criteria[0]
        browser.post({f"r-{first}-{importance.id}": "8", f"reason-{first}": "old"}, "save")
        browser.post({f"r-{second}-{importance.id}": "3"}, "save")
        checked = {r["id"] for r in Page(browser.page()).all("input") if "checked" in r}
        assert checked == {f"r-{second}-{importance.id}-3"}
        assert ">old</textarea>" not in browser.page()

    def test_unsent_changes_after_a_submission_are_pointed_out(
        self, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        response = browser.post(full_form(survey, round1, 7), "submit")
        assert response.status_code == 303
        assert response.headers["location"] == "/round/submitted?status=submitted"
        assert (
            "Thank you, your answers are submitted." in browser.client.get("/round/submitted").text
        )
        assert "Your answers were submitted on" in browser.page()
        browser.post(full_form(survey, round1, 2), "save")
        assert "You have saved changes that are not submitted." in browser.page()

    def test_submitted_answers_show_when_there_is_no_draft(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        assert browser.post(full_form(survey, round1, 4), "submit").status_code == 303
        html = browser.page()
        assert html.count(" checked") == len(round1.items) * len(survey.criteria)
        assert "Your answers were submitted on" in html


class TestLanguage:
    def test_a_french_panelist_reads_french(
        self, db: Session, survey: Survey, round1: Round, enter: Callable[..., Browser]
    ) -> None:
        panelist = add_panelist(db, survey, 99, language="fr")
        html = enter(round1, panelist).page()
        text = Page(html).text
        statement = round1.items[0].statement
        assert statement.text["fr"] in text
        assert statement.text["en"] not in text
        assert '<html lang="fr" dir="ltr">' in html
        assert "Enregistrer et continuer" in text
        assert "Je ne peux pas juger" in text
        assert survey.title["fr"] in text

    def test_an_unknown_language_falls_back_to_the_study_language(
        self, db: Session, survey: Survey, round1: Round, enter: Callable[..., Browser]
    ) -> None:
        panelist = add_panelist(db, survey, 98, language="de")
        html = enter(round1, panelist).page()
        assert '<html lang="en" dir="ltr">' in html
        assert round1.items[0].statement.text["en"] in Page(html).text

    def test_a_spanish_panelist_reads_dates_and_counts_in_spanish(
        self, db: Session, survey: Survey, round1: Round, enter: Callable[..., Browser]
    ) -> None:
        browser = enter(round1, add_panelist(db, survey, 96, language="es"))
        assert browser.post(full_form(survey, round1, 5), "submit").status_code == 303
        page = Page(browser.page())
        assert re.search(r"Sus respuestas se enviaron el \d{1,2} de [a-z]+ de \d{4}\.", page.text)
        total = len(round1.items)
        assert f"{total} de {total} enunciados calificados" in page.text
        assert f"Ronda 1 {survey.title['es']}" in page.text
