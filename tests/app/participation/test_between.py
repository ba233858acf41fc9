"""The questionnaire between rounds: round 0 proposals, the proposal box, persuasive marks,
reworded and new statements, reasons in other languages, hidden reasons."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from app.models import (
    Endorsement,
    HiddenCause,
    Panelist,
    Proposal,
    Reason,
    Round,
    Submission,
    Survey,
)
from app.proposals import service as proposals
from app.reasons import service as reasons
from app.rounds import service as rounds
from app.statements import service as statements
from tests.app.participation.conftest import Browser, Page, add_panelist, full_form, stored

Enter = Callable[[Round, Panelist], Browser]

# Round 1 importance by panelist: median 7, quartiles 3.5 and 8.5 (as in test_feedback).
ROUND1 = {0: 2, 1: 5, 2: 7, 3: 8, 4: 9}
REASONS = {
    0: "Our courts already accept electronic evidence from abroad.",
    1: "Training budgets are far too small in most regions.",
    2: "Regional networks exist on paper but rarely meet.",
    3: "Los fiscales cambian de puesto demasiado a menudo.",
    4: "It closes the most common gap in mutual legal assistance.",
}
FULL = {
    "en": "Reworded: points of contact answer within 12 hours.",
    "fr": "Reformulé.",
    "es": "Reformulado.",
    "ar": "أُعيدت صياغته.",
    "zh": "已改写。",
    "ru": "Переформулировано.",
}


@pytest.fixture
def round0(db: Session, survey: Survey, panel: list[Panelist]) -> Round:
    return rounds.launch(db, survey, actor="test", proposals_only=True)


@pytest.fixture
def round1_closed(
    db: Session, survey: Survey, panel: list[Panelist], round1: Round, enter: Enter
) -> Round:
    """Round 1 answered by panelists 0-4 with a reason on every statement, then closed."""
    for n, rating in ROUND1.items():
        browser = enter(round1, panel[n])
        if n == 3:
            browser.client.cookies.clear()
            panel[n].language = "es"
            db.flush()
            browser = enter(round1, panel[n])
        form = full_form(survey, round1, rating)
        form.update({f"reason-{item.statement_id}": REASONS[n] for item in round1.items})
        assert browser.post(form, "submit").status_code == 303
    rounds.close(db, survey, round1, actor="test")
    return round1


class TestRoundZero:
    def test_the_page_asks_for_proposals_per_topic_and_nothing_to_rate(
        self, survey: Survey, round0: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        page = Page(enter(round0, panel[0]).page())
        boxes = page.all("textarea")
        assert [b["name"] for b in boxes] == [f"proposal-{t.id}" for t in survey.topics]
        assert not page.all("fieldset")
        assert "In this first round there is nothing to rate" in page.text
        assert "Propose a statement on Cybercrime" in page.text
        assert "(optional)" not in page.text

    def test_submitting_without_a_proposal_says_so_beside_the_first_box(
        self, db: Session, survey: Survey, round0: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        browser = enter(round0, panel[0])
        response = browser.post({}, "submit")
        assert response.status_code == 422
        page = Page(response.text)
        assert "Propose at least one statement" in page.text
        box = f"proposal-{survey.topics[0].id}"
        assert [a["href"] for a in page.all("a") if box in a["href"]] == [
            f"/round?topic=1&check=1#{box}"
        ]
        assert f"{box}-error" in Page(browser.topic(1, check="1")).ids
        assert rounds.status(db, round0).submitted == 0

    def test_a_submitted_proposal_is_stored_apart_and_leaves_the_draft(
        self, db: Session, survey: Survey, round0: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        browser = enter(round0, panel[0])
        field = f"proposal-{survey.topics[1].id}"
        assert (
            browser.post({field: "  Rangers get night-vision gear.  "}, "save").status_code == 303
        )
        assert "Rangers get night-vision gear." in browser.page()  # the draft keeps it
        response = browser.post({field: "Rangers get night-vision gear."}, "submit")
        assert response.headers["location"].endswith("status=proposed")
        [proposal] = proposals.list_for(db, survey)
        assert (proposal.text, proposal.topic_id, proposal.language, proposal.round_id) == (
            "Rangers get night-vision gear.",
            survey.topics[1].id,
            "en",
            round0.id,
        )
        [submission] = db.scalars(select(Submission).where(Submission.round_id == round0.id))
        assert submission.draft_proposals is None
        page = Page(browser.client.get(response.headers["location"]).text)
        assert "your proposals received" in page.text
        assert "Rangers get night-vision gear." not in page.text
        assert rounds.status(db, round0).submitted == 1

    def test_round_zero_closes_without_figures_and_round_one_follows(
        self, db: Session, survey: Survey, round0: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        enter(round0, panel[0]).post({f"proposal-{survey.topics[0].id}": "An idea."}, "submit")
        snapshot = rounds.close(db, survey, round0, actor="test")
        assert (snapshot.responded, snapshot.results) == (1, {"statements": []})
        round_1 = rounds.launch(db, survey, actor="test")
        html = enter(round_1, panel[0]).page()
        assert "How the panel rated" not in html
        assert "New this round" not in html  # every seeded statement is new: no notice


class TestProposalBox:
    def test_a_too_long_proposal_is_refused_beside_its_box_and_the_rest_kept(
        self, db: Session, survey: Survey, round1: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        topic = survey.topics[0]
        form = {**full_form(survey, round1, 5), f"proposal-{topic.id}": "y" * 1001}
        response = enter(round1, panel[0]).post(form, "submit")
        assert response.status_code == 422
        page = Page(response.text)
        assert (
            "Cybercrime: your proposal has 1001 characters; shorten it to 1000 at most" in page.text
        )
        assert f"proposal-{topic.id}-error" in page.ids
        assert stored(db, round1)["draft"] == len(round1.items) * 2
        assert stored(db, round1)["response"] == 0
        assert db.scalar(select(func.count()).select_from(Proposal)) == 0

    def test_a_proposal_for_a_topic_the_page_does_not_offer_stores_nothing(
        self, db: Session, survey: Survey, round1: Round, panel: list[Panelist], enter: Enter
    ) -> None:
        form = {**full_form(survey, round1, 5), "proposal-999999": "Forged."}
        assert enter(round1, panel[0]).post(form, "save").status_code == 422
        assert stored(db, round1)["draft"] == 0


class TestPersuasive:
    def test_shown_reasons_can_be_marked_and_the_marks_are_stored_anonymously(
        self,
        db: Session,
        survey: Survey,
        panel: list[Panelist],
        round1_closed: Round,
        enter: Enter,
    ) -> None:
        round2 = rounds.launch(db, survey, actor="test")
        browser = enter(round2, panel[0])
        page = Page(browser.page())
        boxes = page.all("input", type="checkbox", name="persuasive")
        assert boxes
        chosen = boxes[0]["value"]
        form = {**full_form(survey, round2, 7), "persuasive": chosen}
        assert browser.post(form, "save").status_code == 303
        assert Page(browser.page()).all("input", value=chosen, checked="")  # kept in the draft
        assert browser.post(form, "submit").status_code == 303
        rows = db.execute(select(Endorsement.reason_id, Endorsement.persuasive)).all()
        assert {r for r, _ in rows} == {int(b["value"]) for b in boxes}
        assert [r for r, persuasive in rows if persuasive] == [int(chosen)]

    def test_marking_a_reason_the_page_did_not_show_stores_nothing(
        self,
        db: Session,
        survey: Survey,
        panel: list[Panelist],
        round1_closed: Round,
        enter: Enter,
    ) -> None:
        round2 = rounds.launch(db, survey, actor="test")
        own = db.scalar(select(Reason.id).where(Reason.text == REASONS[0]).limit(1))
        form = {**full_form(survey, round2, 7), "persuasive": str(own)}
        response = enter(round2, panel[0]).post(form, "submit")
        assert response.status_code == 422
        assert "is not a reason this page shows" in response.text
        assert stored(db, round2)["draft"] == 0


class TestReasonsShown:
    def test_a_reason_in_another_language_carries_its_lang_and_a_note(
        self,
        db: Session,
        survey: Survey,
        panel: list[Panelist],
        round1_closed: Round,
        enter: Enter,
    ) -> None:
        round2 = rounds.launch(db, survey, actor="test")
        html = enter(round2, panel[0]).page()
        page = Page(html)
        assert page.all("blockquote", lang="es")
        assert "Written in another language (Spanish)." in page.text

    def test_a_hidden_reason_is_on_no_panelist_page(
        self,
        db: Session,
        survey: Survey,
        panel: list[Panelist],
        round1_closed: Round,
        enter: Enter,
    ) -> None:
        for reason in db.scalars(select(Reason).where(Reason.text == REASONS[4])):
            reasons.hide(db, survey, round1_closed, reason, HiddenCause.ABUSIVE, actor="test")
        round2 = rounds.launch(db, survey, actor="test")
        for n in (0, 1, 5):
            assert REASONS[4] not in enter(round2, panel[n]).page()
        assert REASONS[1] in enter(round2, panel[0]).page()


class TestChangedStatements:
    def test_a_reworded_statement_shows_the_notice_both_wordings_and_its_parents_results(
        self,
        db: Session,
        survey: Survey,
        panel: list[Panelist],
        round1_closed: Round,
        enter: Enter,
    ) -> None:
        old = round1_closed.items[0].statement
        new = statements.reword(db, survey, old, FULL, actor="test")
        round2 = rounds.launch(db, survey, actor="test")
        html = enter(round2, panel[0]).page()
        page = Page(html)
        assert "Reworded since round 1" in page.text
        assert FULL["en"] in page.text
        assert old.text["en"] in page.text
        assert f'aria-labelledby="fb-{new.id}"' in html
        assert "Median: 7" in page.text
        # A rating outside the parent's middle range still needs a reason.
        form = full_form(survey, round2, 5)
        form[f"r-{new.id}-{survey.criteria[0].id}"] = "1"
        response = enter(round2, panel[1]).post(form, "submit")
        assert response.status_code == 422
        link = next(
            a["href"] for a in Page(response.text).all("a") if f"#reason-{new.id}" in a["href"]
        )
        assert f"reason-{new.id}-error" in Page(enter(round2, panel[1]).client.get(link).text).ids

    def test_an_accepted_proposal_is_marked_new_and_proposed_by_the_panel(
        self,
        db: Session,
        survey: Survey,
        panel: list[Panelist],
        round1_closed: Round,
        enter: Enter,
    ) -> None:
        topic = survey.topics[0]
        proposals.submit(db, round1_closed, {topic.id: "An idea."}, language="en")
        [proposal] = proposals.list_for(db, survey)
        added = proposals.accept(db, survey, proposal, FULL, topic, actor="test")
        round2 = rounds.launch(db, survey, actor="test")
        html = enter(round2, panel[0]).page()
        assert "New this round, proposed by the panel" in Page(html).text
        assert html.count("New this round, proposed by the panel") == 1
        assert f'id="statement-{added.id}"' in html


class TestAnonymity:
    def test_no_table_of_the_between_round_records_names_a_panelist(self, db: Session) -> None:
        inspector = inspect(db.get_bind())
        for table in ("proposal", "endorsement", "reason", "statement_parent"):
            names = {c["name"] for c in inspector.get_columns(table)}
            assert "panelist_id" not in names
        assert "respondent_id" not in {c["name"] for c in inspector.get_columns("proposal")}

    def test_a_panelist_new_to_the_study_sees_other_reasons_but_never_whose(
        self, db: Session, survey: Survey, round1_closed: Round, enter: Enter, panel: list[Panelist]
    ) -> None:
        round2 = rounds.launch(db, survey, actor="test")
        text = Page(enter(round2, add_panelist(db, survey, 70)).page()).text
        assert REASONS[1] in text
        for panelist in panel:
            assert panelist.name not in text
            assert panelist.email not in text
