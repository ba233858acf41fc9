"""Real-time studies: live feedback behind both thresholds, revisions, checkpoints."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import engine
from app.answers import live as live_answers
from app.answers import service as answers_store
from app.answers.cells import Layout
from app.answers.cells import ratings as float_ratings
from app.errors import Conflict
from app.models import AccessLink, AnswerRevision, Panelist, Role, Round, RoundState, Survey
from app.panel import respondents
from app.participation import participant as participants
from app.realtime import checkpoints, guard, live
from app.rounds import repository, snapshot
from app.rounds import service as rounds
from app.rounds.plan import plan_of
from app.studies import service as studies
from app.team import service as team
from tests.app.conftest import ROOT, SavepointTransactions
from tests.app.realtime.conftest import Panelists, answer, feedback_shown


class TestFeedbackThresholds:
    def test_feedback_appears_after_own_answer_and_enough_answers(
        self, study: Survey, live_round: Round, panel: list[Panelist], panelists: Panelists
    ) -> None:
        first, second = (item.statement_id for item in live_round.items[:2])
        needed = study.feedback_after
        assert needed == 5
        for i, panelist in enumerate(panel[:needed]):
            assert panelists.post(panelist, answer(study, first, 3 + i)).status_code == 303
            html = panelists.page(panelist)
            # Own answer given, but only i + 1 answered: hidden until the fifth.
            assert feedback_shown(html, first) == (i + 1 >= needed)
            assert not feedback_shown(html, second)
        # Someone who did not answer it sees nothing of it, however many did.
        assert not feedback_shown(panelists.page(panel[needed]), first)
        html = panelists.page(panel[0])
        assert "Median: 5" in html  # ratings 3..7

    def test_a_criterion_rated_by_fewer_than_k_keeps_it_hidden(
        self,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        sid: int,
    ) -> None:
        second = study.criteria[1].id
        panelists.post(panel[0], {**answer(study, sid, 4), f"r-{sid}-{second}": "cj"})
        for panelist in panel[1:5]:
            panelists.post(panelist, answer(study, sid, 4))
        # Five answered, but only four rated the second criterion.
        html = panelists.page(panel[1])
        assert not feedback_shown(html, sid)
        assert "once 1 more panelist has answered" in " ".join(html.split())
        panelists.post(panel[5], answer(study, sid, 4))
        assert feedback_shown(panelists.page(panel[1]), sid)

    def test_waiting_count_is_shown_before_the_threshold(
        self,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        sid: int,
    ) -> None:
        panelists.post(panel[0], answer(study, sid, 6))
        assert "once 4 more panelists have answered" in " ".join(panelists.page(panel[0]).split())


class TestRevisions:
    def test_every_answer_is_kept_anonymously_and_the_current_one_counts(
        self,
        db: Session,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        sid: int,
        layout: Layout,
    ) -> None:
        for panelist in panel[:5]:
            panelists.post(panelist, answer(study, sid, 2))
        assert panelists.post(panel[0], answer(study, sid, 8)).status_code == 303
        rows = db.execute(select(AnswerRevision).where(AnswerRevision.round_id == live_round.id))
        history = rows.scalars().all()
        criteria = len(study.criteria)
        assert len(history) == 6 * criteria
        revised = [h for h in history if h.revised]
        assert len(revised) == criteria
        assert all(h.informed for h in revised)
        assert not hasattr(AnswerRevision, "respondent_id")
        current = answers_store.submitted(db, live_round.id, layout)
        assert sorted(current.cells[:, 0, 0].tolist()) == [2, 2, 2, 2, 8]

    def test_confirmation_counts_a_kept_answer_after_seeing_feedback(
        self,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        db: Session,
        sid: int,
        layout: Layout,
    ) -> None:
        for panelist in panel[:5]:
            panelists.post(panelist, answer(study, sid, 4))
        panelists.post(panel[1], {**answer(study, sid, 4), "keep": str(sid)})
        flags = live_answers.read(db, live_round.id, layout).flags
        confirmed = (flags[:, 0, : len(study.criteria)] & live_answers.CONFIRMED).all(axis=1)
        assert confirmed.sum() == 1

    def test_a_partly_answered_statement_is_refused_and_kept_as_draft(
        self,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        sid: int,
    ) -> None:
        one = {f"r-{sid}-{study.criteria[0].id}": "7"}
        response = panelists.post(panel[0], one)
        assert response.status_code == 422
        assert "choose a rating for" in response.text
        assert 'value="7" checked' in panelists.page(panel[0])


class TestLiveFigures:
    def test_equal_to_summarize_after_random_answers_and_revisions(
        self,
        db: Session,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        layout: Layout,
    ) -> None:
        rng = random.Random(11)
        items = [item.statement_id for item in live_round.items[:4]]
        plan = plan_of(db, live_round.id, live_round.opened_at, live_round.number)
        live.figures(db, plan)  # kept from here on: submits update it incrementally
        for _ in range(40):
            panelist = rng.choice(panel)
            form: dict[str, str] = {}
            for sid in rng.sample(items, rng.randint(1, 3)):
                for c in study.criteria:
                    form[f"r-{sid}-{c.id}"] = rng.choice(
                        [*map(str, range(c.scale_low, c.scale_high + 1)), "cj"]
                    )
            assert panelists.post(panelist, form).status_code == 303
        stored = answers_store.submitted(db, live_round.id, layout)
        figures = live.figures(db, plan)
        for k, criterion in enumerate(study.criteria):
            expected = snapshot.summarize(
                study,
                criterion,
                float_ratings(stored.cells[:, :, k]),
                np.count_nonzero(stored.cells[:, :, k] == -32767, axis=0),
            )
            got = figures.summaries[k]
            np.testing.assert_array_equal(got.counts, expected.counts)
            np.testing.assert_array_equal(got.n, expected.n)
            np.testing.assert_allclose(got.median, expected.median, equal_nan=True)
            np.testing.assert_allclose(got.iqr, expected.iqr, equal_nan=True)


class TestCheckpoints:
    def test_a_checkpoint_freezes_the_answers_as_a_closed_round(
        self,
        db: Session,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        sid: int,
        transactions: SavepointTransactions,
    ) -> None:
        for i, panelist in enumerate(panel[:6]):
            panelists.post(panelist, answer(study, sid, 2 + i))
        first = checkpoints.take(transactions, study.id, actor="test")  # type: ignore[arg-type]
        again = checkpoints.take(transactions, study.id, actor="test")  # type: ignore[arg-type]
        assert again.id == first.id  # nothing changed: one snapshot
        panelists.post(panel[0], answer(study, sid, 9))
        second = checkpoints.take(transactions, study.id, actor="test")  # type: ignore[arg-type]
        assert second.id != first.id
        rounds_ = repository.rounds_of(db, study)
        assert [(r.number, r.state) for r in rounds_] == [
            (1, RoundState.CLOSED),
            (2, RoundState.CLOSED),
            (3, RoundState.OPEN),
        ]
        assert first.responded == 6
        assert first.invited == len(panel)
        entry = next(s for s in first.results["statements"] if s["statement_id"] == sid)
        key = study.criteria[0].key
        expected = engine.summarize(np.array([[2], [3], [4], [5], [6], [7.0]]), engine.Scale(1, 9))
        assert entry["criteria"][key]["median"] == pytest.approx(float(expected.median[0]))
        entry2 = next(s for s in second.results["statements"] if s["statement_id"] == sid)
        assert entry2["criteria"][key]["median"] == pytest.approx(
            float(
                engine.summarize(
                    np.array([[9], [3], [4], [5], [6], [7.0]]), engine.Scale(1, 9)
                ).median[0]
            )
        )
        assert entry2["change"][key]["pairs"] == 6

    def test_the_live_round_refuses_a_second_launch(
        self, db: Session, study: Survey, live_round: Round
    ) -> None:
        rounds.close(db, study, live_round, actor="test")
        with pytest.raises(Conflict, match="real-time: it opens once"):
            rounds.launch(db, study, actor="test")


class TestRoundPages:
    def test_the_round_questionnaire_sends_real_time_panelists_to_their_page(
        self,
        db: Session,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        sid: int,
    ) -> None:
        client = panelists.client(panel[0])
        assert client.get("/round", follow_redirects=False).headers["location"] == "/live"
        token = panelists.token(panel[0])
        posted = client.post(
            "/round",
            data={**answer(study, sid, 5), "action": "submit", "csrf_token": token},
            follow_redirects=False,
        )
        assert posted.headers["location"] == "/live"
        count = select(func.count()).select_from(AnswerRevision)
        assert db.scalar(count) == 0


class TestClosed:
    def test_a_late_submit_gets_the_closed_page_and_keeps_the_draft(
        self,
        db: Session,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        sid: int,
        layout: Layout,
    ) -> None:
        token = panelists.token(panel[0])
        rounds.close(db, study, live_round, actor="test")
        db.flush()
        response = panelists.client(panel[0]).post(
            "/live",
            data={**answer(study, sid, 7), "action": "submit", "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 409
        assert "This study has closed" in response.text
        respondent = db.scalar(select(func.count()).select_from(AnswerRevision))
        assert respondent == 0
        rid = respondents.find_id(db, study.id, panel[0].id)
        stored = answers_store.load(db, live_round.id, rid, layout)
        assert stored.draft is not None
        assert stored.draft.ratings[(sid, study.criteria[0].id)] == 7


@pytest.fixture
def console(client: TestClient, db: Session, request: pytest.FixtureRequest) -> TestClient:
    from app.console import accounts
    from tests.app.console.conftest import EMAIL, PASSWORD, sign_in

    account = accounts.create(db, email=EMAIL, name="Fran", password=PASSWORD)
    client.facilitator = account  # type: ignore[attr-defined]
    if "study" in request.fixturenames:
        team.add(db, request.getfixturevalue("study"), account, Role.OWNER, actor="test")
    assert sign_in(client).status_code == 303
    return client


def console_post(console: TestClient, page: str, action: str, **data: str):  # type: ignore[no-untyped-def]
    from tests.app.console.conftest import csrf_from

    token = csrf_from(console.get(page).text)
    return console.post(action, data={"csrf_token": token, **data}, follow_redirects=False)


class TestConsole:
    def test_mode_is_chosen_before_launch_only(
        self, db: Session, console: TestClient, panel: list[Panelist]
    ) -> None:
        survey = studies.import_file(
            db, ROOT / "surveys" / "crime-prevention-strategy.yaml", actor="t"
        )
        team.add(db, survey, console.facilitator, Role.OWNER, actor="t")
        page = f"/console/studies/{survey.key}/live"
        assert "Mode: <strong>in rounds</strong>" in console.get(page).text
        done = console_post(console, page, f"/console/studies/{survey.key}/mode", mode="realtime")
        assert done.status_code == 303
        db.refresh(survey)
        assert survey.is_realtime
        bad = console_post(console, page, f"/console/studies/{survey.key}/mode", mode="weekly")
        assert bad.status_code == 422
        assert "mode: choose one of rounds, realtime" in bad.text

    def test_launched_study_keeps_its_mode(
        self, console: TestClient, study: Survey, live_round: Round
    ) -> None:
        page = f"/console/studies/{study.key}/live"
        refused = console_post(console, page, f"/console/studies/{study.key}/mode", mode="rounds")
        assert refused.status_code == 409
        assert refused.text.count("has been launched; its mode can no longer change") == 1

    def test_checkpoint_button_and_guard_figures(
        self,
        db: Session,
        console: TestClient,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        sid: int,
    ) -> None:
        for i, panelist in enumerate(panel[:6]):
            panelists.post(panelist, answer(study, sid, 2 + i))
        # Everyone saw the feedback; four move to 9, one keeps and says so.
        for panelist in panel[:4]:
            panelists.post(panelist, answer(study, sid, 9))
        panelists.post(panel[4], {**answer(study, sid, 6), "keep": str(sid)})
        page = f"/console/studies/{study.key}/live"
        taken = console_post(console, page, f"/console/studies/{study.key}/checkpoint")
        assert taken.status_code == 303
        html = console.get(page).text
        assert "Checkpoint 1 (report as round 1)" in html
        rows = {(r.statement_key, r.criterion_key): r for r in guard.rows(db, study, live_round)}
        row = rows[(live_round.items[0].statement.key, study.criteria[0].key)]
        # Blind: 2..7 (median 4.5); informed: 9, 9, 9, 9 and the kept 6 (median 9).
        assert (row.blind, row.blind_median) == (6, 4.5)
        assert (row.informed, row.informed_median) == (5, 9.0)
        assert row.shift == 4.5
        assert row.confirmed == 1
        report = console.get(f"/console/studies/{study.key}/rounds/1")
        assert report.status_code == 200


class TestPlanAfterCheckpoint:
    def test_a_panelists_plan_has_the_live_rounds_new_number(
        self,
        db: Session,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        sid: int,
        transactions: SavepointTransactions,
    ) -> None:
        panelists.post(panel[0], answer(study, sid, 5))  # the plan of number 1 is kept now
        link_id = db.scalar(select(AccessLink.id).where(AccessLink.panelist_id == panel[0].id))
        assert participants.participant(db, link_id).plan.number == 1  # type: ignore[union-attr]
        checkpoints.take(transactions, study.id, actor="test")  # type: ignore[arg-type]
        who = participants.participant(db, link_id)
        assert who is not None
        assert who.plan.number == 2
        assert who.plan.round_id == live_round.id


class TestScheduledCheckpoints:
    def test_due_after_the_interval_and_only_with_new_answers(
        self,
        db: Session,
        study: Survey,
        live_round: Round,
        panel: list[Panelist],
        panelists: Panelists,
        sid: int,
        transactions: SavepointTransactions,
    ) -> None:
        opened = live_round.opened_at
        assert opened is not None
        hours = study.realtime["checkpoint_every_hours"]
        soon = opened + dt.timedelta(hours=hours - 1)
        later = opened + dt.timedelta(hours=hours)
        assert checkpoints.due(db, soon) == []
        assert checkpoints.due(db, later) == [study.id]
        panelists.post(panel[0], answer(study, sid, 5))
        checkpoints.take(transactions, study.id, actor="scheduler")  # type: ignore[arg-type]
        # Taken just now, and nothing answered since: not due a week on either.
        assert checkpoints.due(db, later + dt.timedelta(hours=hours)) == []
