"""Changing statements between rounds: versions with provenance, refusals, translations."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, Invalid
from app.models import (
    AuditLog,
    Response,
    Round,
    Statement,
    StatementOrigin,
    StatementState,
    Survey,
)
from app.rounds import service as rounds
from app.statements import lineage
from app.statements import service as statements
from tests.app.factories import make_panel, submit

EN_FR_ES = {
    "en": "A new wording.",
    "fr": "Une nouvelle formulation.",
    "es": "Una nueva redacción.",
    "ar": "صياغة جديدة.",
    "zh": "新的措辞。",
    "ru": "Новая формулировка.",
}


def _statement(survey: Survey, key: str) -> Statement:
    return next(s for s in survey.statements if s.key == key and s.version == 1)


@pytest.fixture
def closed_round(db: Session, survey: Survey) -> Round:
    """Round 1 answered by 6 panelists and closed."""
    panel = make_panel(db, survey, 6)
    round_ = rounds.launch(db, survey, actor="test")
    for n, panelist in enumerate(panel):
        submit(db, survey, round_, panelist, lambda j, c, n=n: 1 + n % 5)
    rounds.close(db, survey, round_, actor="test")
    return round_


def _audit(db: Session, action: str) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.action == action)))


class TestReword:
    def test_a_reword_is_a_new_version_and_the_old_keeps_its_ratings(
        self, db: Session, survey: Survey, closed_round: Round
    ) -> None:
        old = _statement(survey, "cyber-02")
        rated = db.scalars(select(Response).where(Response.statement_id == old.id)).all()
        new = statements.reword(db, survey, old, EN_FR_ES, actor="fran@example.org")
        assert (new.key, new.version, new.origin) == ("cyber-02", 2, StatementOrigin.REWORDED)
        assert new.parents == [old]
        assert old.state == StatementState.SUPERSEDED
        assert old.text["en"] != new.text["en"]
        assert db.scalars(select(Response).where(Response.statement_id == old.id)).all() == rated
        [entry] = _audit(db, "statement.reword")
        assert entry.detail == {"statement": "cyber-02", "from_version": 1, "version": 2}
        assert entry.actor == "fran@example.org"

    def test_the_next_round_asks_the_new_version_instead(
        self, db: Session, survey: Survey, closed_round: Round
    ) -> None:
        old = _statement(survey, "cyber-02")
        new = statements.reword(db, survey, old, EN_FR_ES, actor="test")
        following = rounds.launch(db, survey, actor="test")
        asked = {item.statement_id for item in following.items}
        assert new.id in asked
        assert old.id not in asked

    def test_identical_text_is_refused(self, db: Session, survey: Survey) -> None:
        old = _statement(survey, "cyber-02")
        with pytest.raises(Invalid, match="the same as the current one"):
            statements.reword(db, survey, old, dict(old.text), actor="test")

    def test_a_statement_on_the_open_round_cannot_change(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        rounds.launch(db, survey, actor="test")
        old = _statement(survey, "cyber-02")
        with pytest.raises(Conflict, match="being rated in round 1, which is open"):
            statements.reword(db, survey, old, EN_FR_ES, actor="test")
        with pytest.raises(Conflict, match="open"):
            statements.drop(db, survey, old, "no longer relevant", actor="test")
        other = survey.topics[1]
        with pytest.raises(Conflict, match="open"):
            statements.move(db, survey, old, other, actor="test")

    def test_a_replaced_version_cannot_change_again(self, db: Session, survey: Survey) -> None:
        old = _statement(survey, "cyber-02")
        statements.reword(db, survey, old, EN_FR_ES, actor="test")
        with pytest.raises(Conflict, match="a newer version replaces it"):
            statements.reword(db, survey, old, {"en": "Another."}, actor="test")


class TestSplitAndMerge:
    def test_a_split_makes_parts_linked_to_the_whole(self, db: Session, survey: Survey) -> None:
        whole = _statement(survey, "cyber-03")
        parts = statements.split(
            db, survey, whole, [{"en": "First part."}, {"en": "Second part."}], actor="test"
        )
        assert [p.key for p in parts] == ["cyber-03-s1", "cyber-03-s2"]
        assert all(p.origin == StatementOrigin.SPLIT and p.parents == [whole] for p in parts)
        assert whole.state == StatementState.SUPERSEDED

    @pytest.mark.parametrize("count", [0, 1])
    def test_a_split_into_fewer_than_two_parts_is_refused(
        self, db: Session, survey: Survey, count: int
    ) -> None:
        whole = _statement(survey, "cyber-03")
        with pytest.raises(Invalid, match="at least two parts"):
            statements.split(db, survey, whole, [{"en": "Only."}] * count, actor="test")
        assert whole.state == StatementState.ACTIVE

    def test_a_merge_joins_several_into_one(self, db: Session, survey: Survey) -> None:
        a, b = _statement(survey, "cyber-01"), _statement(survey, "cyber-02")
        merged = statements.merge(db, survey, [a, b], {"en": "Both at once."}, actor="test")
        assert merged.origin == StatementOrigin.MERGED
        assert {p.id for p in merged.parents} == {a.id, b.id}
        assert a.state == b.state == StatementState.SUPERSEDED

    def test_a_statement_cannot_be_merged_into_itself(self, db: Session, survey: Survey) -> None:
        a = _statement(survey, "cyber-01")
        with pytest.raises(Invalid, match="cannot be merged into itself"):
            statements.merge(db, survey, [a, a], {"en": "Same."}, actor="test")
        with pytest.raises(Invalid, match="at least two"):
            statements.merge(db, survey, [a], {"en": "Alone."}, actor="test")


class TestDropAddMove:
    def test_a_drop_needs_a_reason_which_is_kept(self, db: Session, survey: Survey) -> None:
        s = _statement(survey, "cyber-01")
        with pytest.raises(Invalid, match="give a reason"):
            statements.drop(db, survey, s, "   ", actor="test")
        statements.drop(db, survey, s, "Covered by another statement.", actor="test")
        assert s.state == StatementState.DROPPED
        assert s.drop_reason == "Covered by another statement."
        assert _audit(db, "statement.drop")[0].detail == {"statement": "cyber-01"}

    def test_an_added_statement_joins_the_next_round(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        topic = survey.topics[0]
        added = statements.add(db, survey, topic, EN_FR_ES, actor="test")
        assert added.origin == StatementOrigin.ADDED
        assert added.key == f"{topic.key}-a1"
        round_ = rounds.launch(db, survey, actor="test")
        assert added.id in {item.statement_id for item in round_.items}

    def test_a_move_changes_the_topic_only(self, db: Session, survey: Survey) -> None:
        s = _statement(survey, "cyber-01")
        text = dict(s.text)
        statements.move(db, survey, s, survey.topics[2], actor="test")
        assert s.topic_id == survey.topics[2].id
        assert s.text == text
        with pytest.raises(Invalid, match="already under this topic"):
            statements.move(db, survey, s, survey.topics[2], actor="test")

    def test_the_texts_of_a_rated_statement_cannot_be_edited_in_place(
        self, db: Session, survey: Survey, closed_round: Round
    ) -> None:
        s = _statement(survey, "cyber-01")
        with pytest.raises(Conflict, match="reword it"):
            statements.translate(db, survey, s, EN_FR_ES, actor="test")


class TestTranslations:
    def test_a_changed_statement_without_every_language_blocks_the_launch(
        self, db: Session, survey: Survey, closed_round: Round
    ) -> None:
        new = statements.reword(
            db, survey, _statement(survey, "cyber-02"), {"en": "English only."}, actor="test"
        )
        [missing] = statements.missing_translations(db, survey)
        assert (missing.statement.id, missing.languages) == (new.id, ["fr", "es", "ar", "zh", "ru"])
        with pytest.raises(
            Conflict, match=r"1 changed statement lacks a translation \(cyber-02 v2: fr, es, ar, zh"
        ):
            rounds.launch(db, survey, actor="test")
        statements.translate(db, survey, new, {**EN_FR_ES, "en": "English only."}, actor="test")
        assert statements.missing_translations(db, survey) == []
        assert rounds.launch(db, survey, actor="test").number == 2

    def test_a_study_with_fallbacks_launches_and_still_lists_what_is_missing(
        self, db: Session, survey: Survey, closed_round: Round
    ) -> None:
        survey.translation_fallbacks = True  # as a study file with translation_fallbacks: true
        db.flush()
        old = _statement(survey, "cyber-02")
        new = statements.reword(db, survey, old, {"en": "English only."}, actor="test")
        [missing] = statements.missing_translations(db, survey)
        assert (missing.statement.id, missing.languages) == (new.id, ["fr", "es", "ar", "zh", "ru"])
        round_ = rounds.launch(db, survey, actor="test")
        assert new.id in [item.statement_id for item in round_.items]
        assert old.id not in [item.statement_id for item in round_.items]

    def test_two_changed_statements_are_counted_in_the_refusal(
        self, db: Session, survey: Survey, closed_round: Round
    ) -> None:
        for key in ("cyber-02", "cyber-03"):
            statements.reword(db, survey, _statement(survey, key), {"en": key}, actor="test")
        with pytest.raises(Conflict) as refused:
            rounds.launch(db, survey, actor="test")
        assert str(refused.value).startswith(
            "the next round cannot launch: 2 changed statements lack a translation"
        )

    def test_the_default_language_is_required(self, survey: Survey) -> None:
        with pytest.raises(Invalid, match=r"default language \(en\) is required"):
            statements.clean_text(survey, {"en": "  ", "fr": "Seulement en français."})


class TestLineage:
    def test_every_version_with_its_rounds_and_results(
        self, db: Session, survey: Survey, closed_round: Round
    ) -> None:
        old = _statement(survey, "cyber-02")
        new = statements.reword(db, survey, old, EN_FR_ES, actor="test")
        rounds.launch(db, survey, actor="test")
        family = lineage.lineage(db, survey, new)
        assert [v.statement.id for v in family.versions] == [old.id, new.id]
        first, second = family.versions
        assert first.child_ids == [new.id]
        assert second.parent_ids == [old.id]
        [rated] = first.rounds
        assert (rated.number, rated.outcome) == (1, "carried")
        assert rated.criteria["importance"]["n"] == 6
        assert [(r.number, r.state, r.outcome) for r in second.rounds] == [(2, "open", None)]
