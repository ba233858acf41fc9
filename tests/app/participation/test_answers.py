"""Saving and submitting: one answer set, bad input refused whole, nothing typed lost."""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Panelist, Reason, Response, Round, Submission, Survey
from app.models.base import today
from app.rounds import service as rounds
from tests.app.participation.conftest import (
    NOTHING,
    Browser,
    Page,
    draft_ratings,
    full_form,
    stored,
    submitted_ratings,
)


class TestSubmit:
    def test_submitting_twice_leaves_one_answer_set_the_last(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        first = round1.items[0].statement_id
        first_post = browser.post(
            {**full_form(survey, round1, 7), f"reason-{first}": "a"}, "submit"
        )
        assert first_post.status_code == 303
        response = browser.post({**full_form(survey, round1, 3), f"reason-{first}": "b"}, "submit")
        assert response.status_code == 303
        assert response.headers["location"] == "/round/submitted?status=submitted"
        cells = len(round1.items) * len(survey.criteria)
        submitted = submitted_ratings(db, round1)
        assert len(submitted) == cells
        assert set(submitted.values()) == {3}
        texts = db.scalars(select(Reason.text))
        assert list(texts) == ["b"]
        # Submitting leaves no draft beside the submission: no unsent changes.
        assert draft_ratings(db, round1) == {}

    def test_the_submission_carries_a_date_not_a_time(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        browser.post(full_form(survey, round1, "cj"), "submit")
        submission = db.scalar(select(Submission).where(Submission.round_id == round1.id))
        assert submission is not None
        assert type(submission.submitted_on) is dt.date
        assert submission.submitted_on == today()
        answered_on = db.scalars(select(Response.answered_on).where(Response.round_id == round1.id))
        assert all(type(day) is dt.date for day in answered_on)

    def test_cannot_judge_everywhere_is_a_complete_answer(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        assert browser.post(full_form(survey, round1, "cj"), "submit").status_code == 303
        assert set(submitted_ratings(db, round1).values()) == {None}
        assert rounds.status(db, round1).submitted == 1


class TestForgedInput:
    @pytest.fixture
    def cell(self, survey: Survey, round1: Round) -> str:
        return f"r-{round1.items[0].statement_id}-{survey.criteria[0].id}"

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            ("10", "10 is off the importance scale (1 to 9)"),
            ("0", "0 is off the importance scale (1 to 9)"),
            ("7.5", "'7.5' is not a whole number"),
            ("seven", "'seven' is not a whole number"),
        ],
    )
    @pytest.mark.parametrize("action", ["save", "submit"])
    def test_a_rating_off_the_scale_stores_nothing(
        self,
        db: Session,
        browser: Browser,
        survey: Survey,
        round1: Round,
        cell: str,
        value: str,
        reason: str,
        action: str,
    ) -> None:
        response = browser.post({**full_form(survey, round1, 5), cell: value}, action)
        assert response.status_code == 422
        assert reason in Page(response.text).text
        assert stored(db, round1) == NOTHING

    def test_a_statement_not_on_the_round_stores_nothing(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        forged = max(item.statement_id for item in round1.items) + 1000
        for field in (f"r-{forged}-{survey.criteria[0].id}", f"reason-{forged}"):
            response = browser.post({**full_form(survey, round1, 5), field: "5"}, "save")
            assert response.status_code == 422
            assert "no such statement" in response.text
        assert stored(db, round1) == NOTHING

    def test_a_criterion_of_another_study_stores_nothing(
        self, db: Session, browser: Browser, round1: Round
    ) -> None:
        field = f"r-{round1.items[0].statement_id}-999999"
        response = browser.post({field: "5"}, "save")
        assert response.status_code == 422
        assert stored(db, round1) == NOTHING

    @pytest.mark.parametrize(
        "form", [{"r-1-x": "5"}, {"rating": "5", "r-1": "5"}, {"reason-abc": "hi"}]
    )
    def test_unknown_fields_store_nothing(
        self, db: Session, browser: Browser, round1: Round, form: dict[str, str]
    ) -> None:
        response = browser.post(form, "save")
        assert response.status_code == 422
        assert stored(db, round1) == NOTHING

    def test_an_unknown_action_stores_nothing(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        response = browser.post(full_form(survey, round1, 5), "publish")
        assert response.status_code == 422
        assert "action" in response.text
        assert stored(db, round1) == NOTHING

    @pytest.mark.parametrize("action", ["save", "submit"])
    def test_an_overlong_reason_is_refused_beside_its_field_and_the_rest_kept(
        self, db: Session, browser: Browser, survey: Survey, round1: Round, action: str
    ) -> None:
        first = round1.items[0].statement_id
        form = {**full_form(survey, round1, 5), f"reason-{first}": "x" * 4001}
        response = browser.post(form, action)
        assert response.status_code == 422
        page = Page(response.text)
        assert (
            "Statement 1: your reason has 4001 characters; shorten it to 4000 at most" in page.text
        )
        assert f"reason-{first}-error" in page.ids
        assert "x" * 4001 in response.text  # shown again, for the panelist to shorten
        kept = stored(db, round1)
        assert kept["draft"] == len(round1.items) * 2  # every rating kept as the draft
        assert kept["response"] == kept["reason"] == kept["draft_reasons"] == 0

    @pytest.mark.parametrize("action", ["save", "submit"])
    def test_a_reason_with_a_nul_character_stores_nothing(
        self, db: Session, browser: Browser, survey: Survey, round1: Round, action: str
    ) -> None:
        first = round1.items[0].statement_id
        form = {**full_form(survey, round1, 5), f"reason-{first}": "before\x00after"}
        response = browser.post(form, action)
        assert response.status_code == 422
        assert "cannot contain a NUL character" in response.text
        assert stored(db, round1) == NOTHING

    def test_a_huge_unknown_field_is_not_echoed_whole(
        self, db: Session, browser: Browser, round1: Round
    ) -> None:
        name = "reason-" + "x" * 10_000
        response = browser.post({name: "hi"}, "x" * 10_000)
        assert response.status_code == 422
        assert "x" * 100 not in response.text
        assert stored(db, round1) == NOTHING


class TestIncompleteSubmit:
    def test_the_problems_are_listed_and_the_answers_kept_as_draft(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        form = full_form(survey, round1, 6)
        missing = [f"r-{item.statement_id}-{survey.criteria[1].id}" for item in round1.items[:2]]
        for name in missing:
            del form[name]
        first = round1.items[0].statement_id
        form[f"reason-{first}"] = "Depends on regional networks."
        response = browser.post(form, "submit")
        assert response.status_code == 422
        # The summary lists the problems, each linking to its field on its topic page.
        page = Page(response.text)
        assert "There is a problem" in page.text
        assert page.text.count("choose a rating for Feasibility") == len(missing)
        summary_links = [a["href"] for a in page.all("a") if "#r-" in a.get("href", "")]
        assert summary_links == [f"/round?topic=1&check=1#{name}-1" for name in missing]
        topic = browser.client.get(summary_links[0]).text
        beside = Page(topic)
        assert beside.text.count("choose a rating for Feasibility") == 2 * len(missing)
        for name in missing:
            assert f"{name}-1" in beside.ids
            assert f"{name}-error" in beside.ids
            fieldset_describedby = [
                f["aria-describedby"]
                for f in beside.all("fieldset")
                if name in f["aria-describedby"]
            ]
            assert f"{name}-error" in fieldset_describedby[0]
        assert browser.page().count(" checked") == len(form) - 1
        assert "Depends on regional networks.</textarea>" in topic
        assert page.all("title")  # the page title starts with "Error:"
        assert "<title>Error: " in response.text
        assert stored(db, round1) == {
            "response": 0,
            "reason": 0,
            "draft": len(form) - 1,
            "draft_reasons": 1,
        }
        # The draft survives a reload.
        assert Page(browser.page()).text.count("not submitted yet") == 1

    def test_an_empty_submit_asks_for_every_rating(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        response = browser.post({}, "submit")
        assert response.status_code == 422
        listed = [a for a in Page(response.text).all("a") if "check=1#r-" in a["href"]]
        assert len(listed) == len(round1.items) * len(survey.criteria)
        beside = "".join(browser.topic(n, check="1") for n in range(1, len(survey.topics) + 1))
        errors = [i for i in Page(beside).ids if i.endswith("-error")]
        assert len(errors) == len(round1.items) * len(survey.criteria)


class TestClosedRound:
    def test_a_late_submission_gets_409_and_is_kept_as_draft(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        first, second = (item.statement_id for item in round1.items[:2])
        importance = survey.criteria[0]
        browser.post({f"r-{first}-{importance.id}": "8", f"reason-{first}": "kept"}, "save")
        csrf = Page(browser.page()).all("input", name="csrf_token")[0]["value"]
        rounds.close(db, survey, round1, actor="test")
        response = browser.post({f"r-{second}-{importance.id}": "2"}, "submit", csrf=csrf)
        assert response.status_code == 409
        assert "This round has closed" in response.text
        assert "kept as your draft" in response.text
        # Both the earlier draft and what was just typed are kept.
        assert draft_ratings(db, round1) == {
            (first, importance.id): 8,
            (second, importance.id): 2,
        }
        drafts = select(Submission.draft_reasons).where(Submission.round_id == round1.id)
        assert list(db.scalars(drafts)) == [{str(first): "kept"}]

    def test_the_questionnaire_of_a_closed_round_says_so(
        self, db: Session, browser: Browser, survey: Survey, round1: Round
    ) -> None:
        rounds.close(db, survey, round1, actor="test")
        response = browser.client.get("/round")
        assert response.status_code == 200
        assert "Round 1 has closed." in response.text
        assert "<form" not in response.text


class TestCsrf:
    @pytest.mark.parametrize("token", ["", "forged-token"])
    def test_a_post_without_this_sessions_token_stores_nothing(
        self, db: Session, browser: Browser, survey: Survey, round1: Round, token: str
    ) -> None:
        response = browser.post(full_form(survey, round1, 5), "submit", csrf=token)
        assert response.status_code == 403
        assert "did not come from this site" in response.text
        assert stored(db, round1) == NOTHING

    def test_a_new_link_gets_a_new_token(
        self,
        browser: Browser,
        survey: Survey,
        round1: Round,
        enter: Callable[[Round, Panelist], Browser],
        panel: list[Panelist],
    ) -> None:
        old = Page(browser.page()).all("input", name="csrf_token")[0]["value"]
        enter(round1, panel[1])
        response = browser.post(full_form(survey, round1, 5), "save", csrf=old)
        assert response.status_code == 403


class TestDatabaseErrorsKeepPersonalDataOut:
    """A failed write must not repeat its values (emails, names, reasons) in the error that
    ends up in logs: neither the bound parameters nor PostgreSQL's DETAIL line."""

    def test_a_duplicate_panelist_is_reported_without_the_values(
        self, db: Session, survey: Survey
    ) -> None:
        email, name = "confidential.person@example.org", "Confidential Person"

        def panelist() -> Panelist:
            return Panelist(
                survey_id=survey.id,
                email=email,
                name=name,
                stakeholder_group="ngo",
                language="en",
            )

        db.add(panelist())
        db.flush()
        with pytest.raises(IntegrityError) as failure, db.begin_nested():
            db.add(panelist())
        logged = "".join(traceback.format_exception(failure.value))
        assert "panelist" in logged  # it still says what failed, and where
        assert "hidden due to hide_parameters" in logged
        for secret in (email, name, "confidential"):
            assert secret not in logged
