"""Proposals: stored with no link to their writer, curated into the next round."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.errors import Conflict, Invalid
from app.models import (
    AuditLog,
    Proposal,
    ProposalState,
    Round,
    StatementOrigin,
    StatementState,
    Survey,
)
from app.proposals import service as proposals
from app.rounds import service as rounds
from tests.app.factories import make_panel

FULL = {
    "en": "Schools teach online safety.",
    "fr": "L'école enseigne.",
    "es": "La escuela.",
    "ar": "المدارس تعلّم.",
    "zh": "学校教授。",
    "ru": "Школа учит.",
}


@pytest.fixture
def round0(db: Session, survey: Survey) -> Round:
    make_panel(db, survey, 3)
    return rounds.launch(db, survey, actor="test", proposals_only=True)


@pytest.fixture
def proposal(db: Session, survey: Survey, round0: Round) -> Proposal:
    topic = survey.topics[0]
    proposals.submit(
        db, round0, {topic.id: "Schools teach online safety from age ten."}, language="en"
    )
    return proposals.list_for(db, survey)[0]


class TestStorage:
    def test_a_proposal_has_no_column_that_leads_to_its_writer(self, db: Session) -> None:
        columns = {c["name"] for c in inspect(db.get_bind()).get_columns("proposal")}
        assert columns == {
            "id",
            "survey_id",
            "round_id",
            "topic_id",
            "text",
            "language",
            "state",
            "statement_id",
            "decision_note",
        }

    def test_round_zero_rates_nothing_and_only_opens_a_study(
        self, db: Session, survey: Survey, round0: Round
    ) -> None:
        assert (round0.number, round0.items) == (0, [])
        rounds.close(db, survey, round0, actor="test")
        first = rounds.launch(db, survey, actor="test")
        assert first.number == 1
        assert len(first.items) == len(survey.statements)
        rounds.close(db, survey, first, actor="test")
        with pytest.raises(Conflict, match="can only open a study"):
            rounds.launch(db, survey, actor="test", proposals_only=True)


class TestCuration:
    def test_accepted_it_is_a_new_statement_of_the_next_round(
        self, db: Session, survey: Survey, round0: Round, proposal: Proposal
    ) -> None:
        topic = survey.topics[1]
        statement = proposals.accept(db, survey, proposal, FULL, topic, actor="test")
        assert (statement.origin, statement.topic_id, statement.text) == (
            StatementOrigin.PROPOSED,
            topic.id,
            FULL,
        )
        assert (proposal.state, proposal.statement_id) == (ProposalState.ACCEPTED, statement.id)
        rounds.close(db, survey, round0, actor="test")
        assert statement.id in {
            i.statement_id for i in rounds.launch(db, survey, actor="test").items
        }
        with pytest.raises(Conflict, match="already accepted"):
            proposals.reject(db, survey, proposal, "late", actor="test")

    def test_merged_into_a_statement_whose_wording_may_change(
        self, db: Session, survey: Survey, proposal: Proposal
    ) -> None:
        target = survey.statements[0]
        kept = proposals.merge(db, survey, proposal, target, None, actor="test")
        assert kept is target
        assert target.state == StatementState.ACTIVE
        assert (proposal.state, proposal.statement_id) == (ProposalState.MERGED, target.id)

    def test_merging_with_a_new_wording_makes_a_new_version(
        self, db: Session, survey: Survey, round0: Round
    ) -> None:
        topic = survey.topics[0]
        proposals.submit(db, round0, {topic.id: "Another idea."}, language="fr")
        [found] = proposals.list_for(db, survey)
        target = survey.statements[0]
        newer = proposals.merge(db, survey, found, target, FULL, actor="test")
        assert (newer.key, newer.version) == (target.key, 2)
        assert target.state == StatementState.SUPERSEDED
        assert found.statement_id == newer.id

    def test_rejected_with_its_reason(
        self, db: Session, survey: Survey, proposal: Proposal
    ) -> None:
        with pytest.raises(Invalid, match="give a reason"):
            proposals.reject(db, survey, proposal, " ", actor="test")
        proposals.reject(db, survey, proposal, "Out of the study's scope.", actor="test")
        assert (proposal.state, proposal.decision_note) == (
            ProposalState.REJECTED,
            "Out of the study's scope.",
        )
        [entry] = db.scalars(select(AuditLog).where(AuditLog.action == "proposal.reject"))
        assert entry.detail == {}


class TestDuplicateHints:
    def test_the_most_similar_statements_and_proposals_come_first_with_a_score(
        self, db: Session, survey: Survey, round0: Round
    ) -> None:
        topic = survey.topics[0]
        existing = survey.statements[0]
        proposals.submit(db, round0, {topic.id: existing.text["en"]}, language="en")
        proposals.submit(
            db, round0, {topic.id: "Wildlife rangers get night vision."}, language="en"
        )
        proposals.submit(
            db, round0, {topic.id: "Wildlife rangers get night-vision gear."}, language="en"
        )
        found = {p.text: p for p in proposals.list_for(db, survey)}
        hints = proposals.hints(db, survey, list(found.values()))
        copy = hints[found[existing.text["en"]].id]
        assert copy.statements[0].statement is existing
        assert copy.statements[0].score == pytest.approx(1.0)
        ranger = hints[found["Wildlife rangers get night vision."].id]
        assert ranger.proposals[0].proposal is found["Wildlife rangers get night-vision gear."]
        assert 0.5 < ranger.proposals[0].score < 1
        assert all(0 <= h.score <= 1 for h in ranger.statements)
