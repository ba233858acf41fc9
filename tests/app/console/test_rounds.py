"""Launching, reminding, closing and finishing from the console."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditLog, Outbox, Round, RoundSnapshot, RoundState, Survey, SurveyState
from app.rounds import service as rounds

from .conftest import EMAIL


def _outbox(db: Session, kind: str) -> list[Outbox]:
    return list(db.scalars(select(Outbox).where(Outbox.kind == kind)))


class TestStudiesList:
    def test_lists_each_study_with_its_open_round_progress(
        self,
        signed_in: TestClient,
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
        submit: Callable[..., None],
    ) -> None:
        panel = make_panel({"ngo": 4})
        round_ = rounds.launch(db, survey, actor="test")
        submit(round_, panel[:1], lambda *_: 5)

        page = signed_in.get("/console")

        assert "Delphi study on crime-prevention strategies 2027" in page.text
        assert survey.key in page.text
        assert "Round 1: 25%" in page.text
        assert "(1 of 4 submitted)" in page.text


class TestLaunchRound:
    def test_queues_one_invitation_per_panelist(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        panel = make_panel({"ngo": 5, "academia": 3})
        study = f"/console/studies/{survey.key}"

        page = post_form(study, f"{study}/rounds", {"deadline": "2099-12-31"})

        assert page.status_code == 200
        assert "Round 1 launched: 8 invitations are queued." in page.text
        invitations = _outbox(db, "invitation")
        assert sorted(o.to_address for o in invitations) == sorted(p.email for p in panel)
        round_ = db.scalar(select(Round))
        assert round_ is not None
        assert round_.state == RoundState.OPEN
        assert round_.deadline is not None
        assert round_.deadline.date().isoformat() == "2099-12-31"
        assert db.scalar(
            select(AuditLog).where(AuditLog.action == "round.launch", AuditLog.actor == EMAIL)
        )

    def test_without_a_panel_explains_why_and_launches_nothing(
        self, post_form: Callable[..., Any], db: Session, survey: Survey
    ) -> None:
        study = f"/console/studies/{survey.key}"

        page = post_form(study, f"{study}/rounds")

        assert page.status_code == 409
        assert "has no panel; import panelists first" in page.text
        assert db.scalar(select(func.count()).select_from(Round)) == 0

    @pytest.mark.parametrize(
        ("deadline", "status", "message"),
        [
            ("31/12/2099", 422, "is not a date; give a date (YYYY-MM-DD"),
            ("2001-01-01", 422, "has already passed"),
        ],
    )
    def test_a_bad_deadline_is_refused(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
        deadline: str,
        status: int,
        message: str,
    ) -> None:
        make_panel({"ngo": 2})
        study = f"/console/studies/{survey.key}"

        page = post_form(study, f"{study}/rounds", {"deadline": deadline})

        assert page.status_code == status
        assert message in page.text
        assert db.scalar(select(func.count()).select_from(Round)) == 0
        assert _outbox(db, "invitation") == []

    def test_a_second_launch_while_open_is_a_conflict(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        make_panel({"ngo": 2})
        rounds.launch(db, survey, actor="test")
        study = f"/console/studies/{survey.key}"

        page = post_form(study, f"{study}/rounds")

        assert page.status_code == 409
        assert "already has an open round" in page.text
        assert len(_outbox(db, "invitation")) == 2


class TestRemind:
    def test_reminds_only_those_who_have_not_submitted(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
        submit: Callable[..., None],
    ) -> None:
        panel = make_panel({"ngo": 3})
        round_ = rounds.launch(db, survey, actor="test")
        submit(round_, panel[:1], lambda *_: 5)
        study = f"/console/studies/{survey.key}"

        page = post_form(study, f"{study}/rounds/1/remind")

        assert "Reminders queued for 2 panelists who have not submitted." in page.text
        assert sorted(o.to_address for o in _outbox(db, "reminder")) == sorted(
            p.email for p in panel[1:]
        )


class TestCloseRound:
    def test_asks_for_confirmation_before_closing(
        self,
        signed_in: TestClient,
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        make_panel({"ngo": 3})
        round_ = rounds.launch(db, survey, actor="test")

        page = signed_in.get(f"/console/studies/{survey.key}/rounds/1/close")

        assert page.status_code == 200
        assert "Close round 1?" in page.text
        assert "0 of 3 panelists have submitted" in page.text
        db.refresh(round_)
        assert round_.state == RoundState.OPEN

    def test_closing_shows_the_report(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
        submit: Callable[..., None],
    ) -> None:
        panel = make_panel({"ngo": 6})
        round_ = rounds.launch(db, survey, actor="test")
        submit(round_, panel[:5], lambda *_: 5)
        study = f"/console/studies/{survey.key}"

        page = post_form(f"{study}/rounds/1/close", f"{study}/rounds/1/close")

        assert page.status_code == 200
        assert "Round 1 closed: 5 of 6 panelists submitted." in page.text
        assert "Round 1 report" in page.text
        db.refresh(round_)
        assert round_.state == RoundState.CLOSED

    def test_closing_twice_is_a_conflict(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        make_panel({"ngo": 2})
        round_ = rounds.launch(db, survey, actor="test")
        rounds.close(db, survey, round_, actor="test")
        study = f"/console/studies/{survey.key}"

        page = post_form(study, f"{study}/rounds/1/close")

        assert page.status_code == 409
        assert "round 1 is closed, not open" in page.text

    def test_an_unknown_round_is_not_found(self, signed_in: TestClient, survey: Survey) -> None:
        page = signed_in.get(f"/console/studies/{survey.key}/rounds/7/close")

        assert page.status_code == 404
        assert "has no round 7" in page.text


class TestFinishStudy:
    def test_finishing_needs_the_open_round_closed(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        make_panel({"ngo": 2})
        rounds.launch(db, survey, actor="test")
        study = f"/console/studies/{survey.key}"

        page = post_form(study, f"{study}/finish")

        assert page.status_code == 409
        assert "close the open round before finishing the study" in page.text
        assert survey.state == SurveyState.ACTIVE

    def test_a_finished_study_offers_no_next_round(
        self, post_form: Callable[..., Any], survey: Survey
    ) -> None:
        study = f"/console/studies/{survey.key}"

        page = post_form(f"{study}/finish", f"{study}/finish")

        assert "The study is finished." in page.text
        assert "Launch round" not in page.text
        assert survey.state == SurveyState.FINISHED


class TestUnknownStudy:
    def test_is_not_found(self, signed_in: TestClient) -> None:
        page = signed_in.get("/console/studies/no-such-study")

        assert page.status_code == 404
        assert "no study with key &#39;no-such-study&#39;" in page.text


class TestUnfinishedClose:
    """A close that stopped between marking the round closed and storing its results."""

    def test_the_round_page_offers_to_compute_the_results(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
        submit: Callable[..., None],
    ) -> None:
        panel = make_panel({"ngo": 6})
        round_ = rounds.launch(db, survey, actor="test")
        submit(round_, panel[:5], lambda *_: 5)
        rounds.mark_closed(db, survey, round_, actor="test")
        db.flush()
        study = f"/console/studies/{survey.key}"
        page = post_form(f"{study}/rounds/1", f"{study}/rounds/1/complete")
        assert page.status_code == 200
        assert "Round 1 report" in page.text
        snapshot = db.scalar(select(RoundSnapshot).where(RoundSnapshot.round_id == round_.id))
        assert snapshot is not None
        assert snapshot.responded == 5
