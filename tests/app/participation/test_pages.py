"""The questionnaire's pages: one topic each, moving between them, the summary, the
script's autosave, the page after Submit, and the closed and ended pages."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.models import Panelist, Round, Survey
from app.rounds import service as rounds
from tests.app.participation.conftest import Browser, Page, csrf_of, draft_ratings, full_form


def topic_form(survey: Survey, round_: Round, topic: int, rating: int = 5) -> dict[str, str]:
    """The rating fields of one topic page (1-based), every statement rated."""
    topic_id = survey.topics[topic - 1].id
    return {
        name: value
        for name, value in full_form(survey, round_, rating).items()
        if any(
            item.statement_id == int(name.split("-")[1]) and item.statement.topic_id == topic_id
            for item in round_.items
        )
    }


def cells(form: dict[str, str]) -> dict[tuple[int, int], int | None]:
    """The draft cells a form of ratings stands for."""
    return {
        (int(name.split("-")[1]), int(name.split("-")[2])): None if v == "cj" else int(v)
        for name, v in form.items()
    }


class TestMovingBetweenTopics:
    def test_each_button_saves_and_leads_on(
        self, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        for page, action, location in (
            ("1", "next", "/round?topic=2"),
            ("2", "previous", "/round?topic=1"),
            ("3", "next", "/round/summary"),
            ("3", "review", "/round/summary"),
        ):
            form = {**topic_form(survey, round1, int(page)), "page": page}
            response = browser.post(form, action)
            assert response.status_code == 303
            assert response.headers["location"] == location

    def test_a_partial_page_keeps_what_was_answered_and_the_other_pages(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        second = topic_form(survey, round1, 2)
        assert browser.post({**second, "page": "2"}, "next").status_code == 303
        first = topic_form(survey, round1, 1)
        partial = dict(list(first.items())[:3])  # a statement and a half, JavaScript off
        assert browser.post({**partial, "page": "1"}, "next").status_code == 303
        assert draft_ratings(db, round1) == cells({**second, **partial})
        summary = Page(browser.summary())
        assert "Not answered yet" in summary.text
        missing = [a["href"] for a in summary.all("a") if "#statement-" in a["href"]]
        assert len(missing) == len(round1.items) - len(second) // 2 - 1
        assert all(link.startswith("/round?topic=") for link in missing)

    def test_a_page_clears_only_its_own_reasons(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        first = round1.items[0].statement_id
        browser.post({f"reason-{first}": "kept", "page": "1"}, "save")
        browser.post({"page": "2"}, "next")
        assert "kept</textarea>" in browser.topic(1)
        browser.post({f"reason-{first}": "", "page": "1"}, "save")
        assert "kept</textarea>" not in browser.topic(1)

    def test_save_draft_returns_to_the_statement_being_read(
        self, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        third = [i.statement_id for i in round1.items][2]
        form = {"page": "1", "anchor": f"statement-{third}"}
        response = browser.post(form, "save")
        assert response.headers["location"] == f"/round?topic=1&status=saved#statement-{third}"
        # An anchor of another page is not followed.
        other = round1.items[-1].statement_id
        response = browser.post({"page": "1", "anchor": f"statement-{other}"}, "save")
        assert not response.headers["location"].endswith(f"#statement-{other}")

    def test_a_page_that_does_not_exist_stores_nothing(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        response = browser.post({**topic_form(survey, round1, 1), "page": "9"}, "save")
        assert response.status_code == 422
        assert "is not a page of this questionnaire" in response.text
        assert draft_ratings(db, round1) == {}

    def test_the_script_autosaves_without_a_page_back(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        form = {**topic_form(survey, round1, 1), "page": "1"}
        response = browser.post(form, "autosave")
        assert response.status_code == 204
        assert response.content == b""
        assert draft_ratings(db, round1) == cells(topic_form(survey, round1, 1))


class TestAfterSubmit:
    def test_the_page_says_what_happens_next(
        self, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        token = csrf_of(browser.summary())
        assert browser.post(full_form(survey, round1), "submit", csrf=token).status_code == 303
        page = Page(browser.client.get("/round/submitted").text)
        assert "What happens next" in page.text
        assert "you will receive a new link by email for the next round" in page.text

    def test_before_submitting_the_page_leads_to_the_summary(self, browser: Browser) -> None:
        response = browser.client.get("/round/submitted", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/round/summary"


class TestRoundNotices:
    def test_the_last_round_says_it_is_the_final_one(
        self,
        db: Session,
        survey: Survey,
        panel: list[Panelist],
        browser: Browser,
        round1: Round,
        enter: Callable[[Round, Panelist], Browser],
    ) -> None:
        assert "This is the final round" not in Page(browser.topic(1)).text
        rounds.close(db, survey, round1, actor="test")
        survey.stopping = {**survey.stopping, "max_rounds": 2}
        final = rounds.launch(db, survey, actor="test")
        last = enter(final, panel[1])
        assert "This is the final round" in Page(last.topic(1)).text
        assert "This is the final round" in Page(last.summary()).text

    def test_the_closed_page_says_when_the_study_has_ended(
        self, db: Session, survey: Survey, browser: Browser, round1: Round
    ) -> None:
        rounds.close(db, survey, round1, actor="test")
        closed = Page(browser.client.get("/round").text)
        assert "If there is a next round" in closed.text
        rounds.finish(db, survey, actor="test")
        ended = Page(browser.client.get("/round").text)
        assert "This study has ended" in ended.text
        assert "If there is a next round" not in ended.text
