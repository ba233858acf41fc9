"""Argument strength: how often a reason was shown and marked next round, and the rating
changes of those who read it, given only where at least k stand behind a figure."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.answers import service as answers_store
from app.answers.sheet import AnswerSheet
from app.models import Reason, Response, Survey
from app.panel import respondents
from app.reasons.strength import argument_strength
from app.rounds import service as rounds
from tests.app.reasons.conftest import REASONS, ClosedRound


def _answer_round_two(db: Session, survey: Survey, closed: ClosedRound, marks: int) -> None:
    """Round 2: everyone is shown REASONS[1] and REASONS[2]; the first ``marks`` panelists
    mark REASONS[1] and raise their importance rating of the first statement by 2."""
    round2 = rounds.launch(db, survey, actor="test")
    shown = [db.scalar(select(Reason.id).where(Reason.text == text)) for text in REASONS[1:3]]
    layout = answers_store.layout_of(round2, survey.answer_criteria)
    importance, feasibility = survey.criteria
    for n, panelist in enumerate(closed.panel):
        respondent = respondents.find(db, panelist)
        assert respondent is not None
        before = dict(
            db.execute(
                select(Response.statement_id, Response.rating).where(
                    Response.round_id == closed.round.id,
                    Response.respondent_id == respondent.id,
                    Response.criterion_id == importance.id,
                )
            ).all()
        )
        sheet = AnswerSheet(persuasive={shown[0]} if n < marks else set())
        for item in round2.items:
            old = before[item.statement_id]
            moved = n < marks and item.statement_id == closed.first
            sheet.ratings[(item.statement_id, importance.id)] = old + 2 if moved else old
            sheet.ratings[(item.statement_id, feasibility.id)] = 3
        answers_store.submit(
            db, round2.id, respondent.id, layout, sheet, language="en", shown_reasons=shown
        )
    rounds.close(db, survey, round2, actor="test")


class TestArgumentStrength:
    def test_nothing_until_the_next_round_is_closed(
        self, db: Session, survey: Survey, closed: ClosedRound
    ) -> None:
        assert argument_strength(db, survey, closed.round) is None
        rounds.launch(db, survey, actor="test")
        assert argument_strength(db, survey, closed.round) is None

    def test_shown_and_marked_counts_and_the_change_of_those_who_marked(
        self, db: Session, survey: Survey, closed: ClosedRound
    ) -> None:
        _answer_round_two(db, survey, closed, marks=5)
        strength = argument_strength(db, survey, closed.round)
        assert strength is not None
        by_text = {s.reason.text: s for s in strength.reasons}
        marked = by_text[REASONS[1]]
        assert (marked.shown, marked.marked) == (len(closed.panel), 5)
        assert marked.change_marked["importance"] == pytest.approx(2.0)
        assert marked.change_shown["importance"] == pytest.approx(5 * 2 / len(closed.panel))
        unmarked = by_text[REASONS[2]]
        assert (unmarked.shown, unmarked.marked) == (len(closed.panel), 0)
        assert unmarked.change_marked["importance"] is None
        assert by_text[REASONS[3]].shown == 0
        assert strength.largest[0].reason.text == REASONS[1]

    def test_a_change_behind_fewer_than_k_panelists_is_not_given(
        self, db: Session, survey: Survey, closed: ClosedRound
    ) -> None:
        _answer_round_two(db, survey, closed, marks=4)
        strength = argument_strength(db, survey, closed.round)
        assert strength is not None
        marked = next(s for s in strength.reasons if s.reason.text == REASONS[1])
        assert marked.marked == 4
        assert marked.change_marked == {"importance": None, "feasibility": None}
        assert strength.largest == []
