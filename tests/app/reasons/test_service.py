"""Reading a closed round's reasons: ratings and bands, groups only where k rated, moderation,
the panel's feedback selection, summaries and argument strength."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import AuditLog, HiddenCause, Reason, Survey
from app.reasons import selection, service, summaries
from app.rounds import service as rounds
from tests.app.factories import make_panel
from tests.app.reasons.conftest import ACADEMIC_REASON, REASONS, ClosedRound


class TestRoundReasons:
    def test_every_reason_with_its_ratings_and_bands(
        self, db: Session, survey: Survey, closed: ClosedRound
    ) -> None:
        found = service.round_reasons(db, survey, closed.round)
        assert sorted(r.text for r in found) == sorted([*REASONS, ACADEMIC_REASON])
        by_text = {r.text: r for r in found}
        low = by_text[REASONS[0]].ratings["importance"]
        assert (low.rating, low.range_band, low.scale_band) == (2, "below", "disagree")
        middle = by_text[REASONS[4]].ratings["importance"]
        assert (middle.rating, middle.range_band, middle.scale_band) == (6, "within", "neutral")
        high = by_text[REASONS[8]].ratings["importance"]
        assert (high.rating, high.range_band, high.scale_band) == (9, "above", "agree")
        assert by_text[REASONS[5]].language == "es"

    def test_a_reason_carries_nothing_that_names_its_writer(
        self, db: Session, survey: Survey, closed: ClosedRound
    ) -> None:
        [field_names] = {
            tuple(f.name for f in dataclasses.fields(r))
            for r in service.round_reasons(db, survey, closed.round)
        }
        assert not any("respondent" in name or "panelist" in name for name in field_names)

    def test_the_group_is_given_only_where_it_has_k_raters(
        self, db: Session, survey: Survey, closed: ClosedRound
    ) -> None:
        group_of = {r.text: r.group for r in service.round_reasons(db, survey, closed.round)}
        # Two academics are never named; and since the panel minus the NGO and member-state
        # groups would then be those two, one group of six (ties: the later label) is not
        # named either.
        assert group_of[ACADEMIC_REASON] is None
        assert {group_of[text] for text in REASONS[:6]} == {"ngo"}
        assert {group_of[text] for text in REASONS[6:]} == {None}

    def test_an_open_round_has_no_reasons_to_read(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        round_ = rounds.launch(db, survey, actor="test")
        with pytest.raises(Conflict, match="read once it is closed"):
            service.round_reasons(db, survey, round_)


class TestModeration:
    def test_a_hidden_reason_leaves_the_panels_view_and_is_audited(
        self, db: Session, survey: Survey, closed: ClosedRound
    ) -> None:
        reason = db.scalar(select(Reason).where(Reason.text == REASONS[3]))
        assert reason is not None
        service.hide(
            db, survey, closed.round, reason, HiddenCause.PERSONAL_DATA, actor="fran@example.org"
        )
        visible = {r.text for r in service.round_reasons(db, survey, closed.round)}
        everything = {
            r.text: r for r in service.round_reasons(db, survey, closed.round, include_hidden=True)
        }
        assert REASONS[3] not in visible
        assert everything[REASONS[3]].moderation == "hidden"
        assert everything[REASONS[3]].hidden_cause == HiddenCause.PERSONAL_DATA
        [entry] = db.scalars(select(AuditLog).where(AuditLog.action == "reason.hide"))
        assert entry.detail == {"round": 1, "reason": reason.id, "cause": "personal-data"}
        assert REASONS[3] not in str(entry.detail)
        service.restore(db, survey, closed.round, reason, actor="fran@example.org")
        assert REASONS[3] in {r.text for r in service.round_reasons(db, survey, closed.round)}
        with pytest.raises(Conflict, match="not hidden"):
            service.restore(db, survey, closed.round, reason, actor="fran@example.org")


class TestSelection:
    def test_near_duplicates_count_once_and_the_readers_language_comes_first(
        self, db: Session, survey: Survey, closed: ClosedRound
    ) -> None:
        from app.participation import feedback
        from app.rounds.plan import plan_of

        later = rounds.launch(db, survey, actor="test")
        plan = plan_of(db, later.id, later.opened_at, later.number)
        previous = feedback.previous_round(db, plan)
        assert previous is not None
        ranked = selection.ranking(
            db, plan.survey, previous.round_id, previous.computed_at, previous.statements
        )[closed.first]
        importance = survey.criteria[0].id
        above = ranked[importance]["above"]
        # "Cheap compared to/with the harm it prevents" are one cluster.
        assert sorted(len(c) for c in above) == [1, 2]
        picks = selection.choose(ranked, [importance], 5, "es")
        within = next(p for p in picks if p.band == "within")
        assert within.reasons[0].language == "es"
        assert {r.text for r in within.reasons} == {*REASONS[3:7], ACADEMIC_REASON}
        shown = [r.text for p in picks for r in p.reasons]
        assert len(shown) == len(set(shown))
        # Two per band at most, the reader's own never.
        own = db.scalar(select(Reason.id).where(Reason.text == REASONS[6]))
        for pick in selection.choose(ranked, [importance], 2, "en", exclude=[own]):
            assert len(pick.reasons) <= 2
            assert own not in {r.id for r in pick.reasons}


class TestSummaries:
    def test_representative_reasons_and_key_terms_per_band_reproducibly(
        self, db: Session, survey: Survey, closed: ClosedRound
    ) -> None:
        found = service.round_reasons(db, survey, closed.round)
        first = summaries.summarize(survey, found)[closed.first]
        again = summaries.summarize(survey, list(reversed(found)))[closed.first]
        assert first == again
        [above] = [b for b in first.of("importance", "range") if b.band == "above"]
        assert above.count == 3
        assert len(above.representative) == 2  # the two "cheap" reasons merged
        assert "harm" in " ".join(above.key_terms) or "cheap" in above.key_terms
        # Quartiles 5 and 7.75: 2, 3, 4 below; 5, 6, 6, 7 and the academic's 7 within.
        counts = {b.band: b.count for b in first.of("importance", "range")}
        assert counts == {"below": 3, "within": 5, "above": 3}
        scale = {b.band: b.count for b in first.of("importance", "scale")}
        assert scale == {"disagree": 2, "neutral": 4, "agree": 5}
