"""Races between real threads on a real, committed database (SQLite or PostgreSQL).

Each thread works the way a request does: its own unit of work, committed at the end.
Every wait is bounded, so a lock that is never released fails the test instead of
hanging it.
"""

from __future__ import annotations

import csv
import io
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.answers import service as answers_store
from app.api import service as api
from app.db import unit_of_work
from app.errors import Conflict
from app.models import (
    AccessLink,
    Panelist,
    Reason,
    Respondent,
    Response,
    Round,
    RoundSnapshot,
    RoundState,
    Submission,
    Survey,
)
from app.panel import respondents
from app.participation import participant as participants
from app.participation import schemas
from app.participation import submit as submitting
from app.rounds import links
from app.rounds import service as rounds
from app.studies import service as studies
from tests.app.conftest import STUDY_FILE
from tests.app.factories import make_panel

# Generous: on a loaded machine SQLite's writers queue one behind another.
TIMEOUT = 120


@dataclass(frozen=True)
class Study:
    survey_id: int
    round_id: int
    panelist_ids: list[int]


def _set_up(panel_size: int, *, launch: bool = True) -> Study:
    with unit_of_work() as session:
        survey = studies.import_file(session, STUDY_FILE, actor="test")
        panel = make_panel(session, survey, panel_size)
        round_id = rounds.launch(session, survey, actor="test").id if launch else 0
        return Study(survey.id, round_id, [p.id for p in panel])


def _run(tasks: list[Callable[[], Any]]) -> list[Any]:
    """Run each task in its own thread, all at once; their results, or the exceptions.

    Daemon threads joined against one deadline: a thread stuck on a lock fails the test
    and does not keep the test process alive.
    """
    start = threading.Barrier(len(tasks), timeout=TIMEOUT)
    results: list[Any] = [None] * len(tasks)

    def call(i: int) -> None:
        start.wait()
        try:
            results[i] = tasks[i]()
        except Exception as exc:  # the thread's failure is the test's result
            results[i] = exc

    threads = [threading.Thread(target=call, args=(i,), daemon=True) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} thread(s) still waiting after {TIMEOUT} s"
    return results


def _form(study: Study, rating: int, reason: str | None = None) -> dict[str, str]:
    """Every statement of the round rated ``rating`` (clipped to each scale)."""
    with unit_of_work() as session:
        survey = session.get_one(Survey, study.survey_id)
        round_ = session.get_one(Round, study.round_id)
        form = {
            f"r-{item.statement_id}-{c.id}": str(min(max(rating, c.scale_low), c.scale_high))
            for item in round_.items
            for c in survey.criteria
        }
        if reason is not None:
            form.update({f"reason-{item.statement_id}": reason for item in round_.items})
        return form


def _close(study: Study) -> RoundSnapshot:
    with unit_of_work() as session:
        survey = session.get_one(Survey, study.survey_id)
        return rounds.close(session, survey, session.get_one(Round, study.round_id), actor="t")


# ------------------------------------------------------------------ panelists' browsers


@pytest.fixture
def web(live_database: str) -> FastAPI:
    from app.main import create_app

    return create_app()


@dataclass
class Browser:
    client: TestClient
    csrf: str

    def post(self, form: dict[str, str], action: str) -> int:
        response = self.client.post(
            "/round",
            data={**form, "action": action, "csrf_token": self.csrf},
            follow_redirects=False,
        )
        return response.status_code


def _browser(app: FastAPI, study: Study, panelist_id: int) -> Browser:
    """A browser that opened a fresh link of ``panelist_id`` and holds the form's token."""
    with unit_of_work() as session:
        url = links.mint(
            session, session.get_one(Round, study.round_id), session.get_one(Panelist, panelist_id)
        )
    # Server errors come back as 500 responses, as a panelist would see them.
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get(url.split("testserver", 1)[1], follow_redirects=False).status_code == 303
    page = client.get("/round")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return Browser(client=client, csrf=match[1])


# ---------------------------------------------------------------------------- the tests


class TestSubmitsRacingAClose:
    """A submission is either counted in the closed round or told the round has closed."""

    def test_every_accepted_submission_is_counted(self, web: FastAPI) -> None:
        study = _set_up(24)
        browsers = [_browser(web, study, pid) for pid in study.panelist_ids]
        form = _form(study, 7)
        rng = random.Random(20240601)
        delays = [rng.uniform(0, 0.6) for _ in browsers]

        def submit(browser: Browser, delay: float) -> int:
            threading.Event().wait(delay)
            return browser.post(form, "submit")

        def close() -> RoundSnapshot:
            threading.Event().wait(0.25)
            return _close(study)

        *statuses, snapshot = _run(
            [lambda b=b, d=d: submit(b, d) for b, d in zip(browsers, delays, strict=True)] + [close]
        )
        assert isinstance(snapshot, RoundSnapshot), snapshot
        outcomes = Counter(statuses)
        # 303 to the "submitted" page, or the 409 "this round has closed" page; nothing else.
        # (Usually both; on PostgreSQL a close can also wait behind the stream of submits'
        # share locks until the last one commits, and then all of them count.)
        assert set(outcomes) <= {303, 409}, outcomes
        accepted = outcomes[303]
        assert accepted == snapshot.responded
        with unit_of_work() as session:
            survey = session.get_one(Survey, study.survey_id)
            submitted = session.scalars(
                select(Submission).where(
                    Submission.round_id == study.round_id, Submission.submitted_on.is_not(None)
                )
            ).all()
            assert len(submitted) == accepted
            # A late submission is kept as the panelist's draft.
            drafted = session.scalars(
                select(Submission.respondent_id).where(
                    Submission.round_id == study.round_id, Submission.draft_cells.is_not(None)
                )
            ).all()
            assert len(drafted) == outcomes[409]
            assert not set(drafted) & {s.respondent_id for s in submitted}
            metrics = api.metrics(session, survey, 1)
            table = list(csv.DictReader(io.StringIO(api.ratings_csv(session, survey, 1))))
        assert metrics.responded == accepted
        for statement in metrics.statements:
            assert {c.n for c in statement.criteria.values()} == {accepted}
        # The analyst's raw ratings come from the same answer sets as the figures.
        assert len({row["respondent"] for row in table}) == accepted
        assert len(table) == accepted * sum(len(s.criteria) for s in metrics.statements)

    def test_a_submit_that_found_the_round_open_is_counted_by_a_close_started_meanwhile(
        self, live_database: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The interleaving forced: the submit has seen the round open, then a close starts.

        The close must wait for the submit to commit (and count it); if it went ahead, the
        submit would report success for answers the round's results do not hold.
        """
        study = _set_up(3)
        form = _form(study, 6)
        with unit_of_work() as session:
            (link,) = [
                link_.id
                for link_ in session.scalars(select(AccessLink))
                if link_.panelist_id == study.panelist_ids[0]
            ]
        checked, closed = threading.Event(), threading.Event()
        real_submit = submitting.submit

        def submit_after_a_pause(*args: Any, **kwargs: Any) -> dict[str, str]:
            checked.set()
            # Give a close the chance to run now; with the round locked it cannot.
            closed.wait(1.0)
            return real_submit(*args, **kwargs)

        # Patched where answer() looks it up.
        monkeypatch.setattr(submitting, "submit", submit_after_a_pause)

        def answer() -> str:
            with unit_of_work() as session:
                who = participants.participant(session, link)
                assert who is not None
                posted = schemas.parse_form(
                    [*form.items(), ("action", "submit")],
                    who.plan.statement_ids,
                    who.survey.criteria,
                )
                return submitting.answer(session, who, posted).status

        def close() -> RoundSnapshot:
            assert checked.wait(TIMEOUT)
            try:
                return _close(study)
            finally:
                closed.set()

        status, snapshot = _run([answer, close])
        assert status == "submitted"
        assert isinstance(snapshot, RoundSnapshot), snapshot
        assert snapshot.responded == 1


class TestParallelSubmitsOfOnePanelist:
    """Double clicks and several tabs: no error, one answer set, one of those sent."""

    def test_four_submits_each_for_ten_panelists(self, web: FastAPI) -> None:
        study = _set_up(10)
        versions = {v: _form(study, v + 2, reason=f"version {v}") for v in range(4)}
        tabs = [(pid, v, _browser(web, study, pid)) for pid in study.panelist_ids for v in versions]
        statuses = _run([lambda b=b, v=v: b.post(versions[v], "submit") for _, v, b in tabs])
        assert Counter(statuses) == {303: len(tabs)}
        with unit_of_work() as session:
            round_ = session.get_one(Round, study.round_id)
            cells = len(versions[0]) - len(round_.items)  # ratings only, no reasons
            for pid in study.panelist_ids:
                respondent = respondents.find(session, session.get_one(Panelist, pid))
                assert respondent is not None
                submissions = session.scalars(
                    select(Submission).where(Submission.respondent_id == respondent.id)
                ).all()
                assert [s.submitted_on is not None for s in submissions] == [True]
                ratings = session.execute(
                    select(Response.statement_id, Response.criterion_id, Response.rating).where(
                        Response.respondent_id == respondent.id
                    )
                ).all()
                reasons = session.scalars(
                    select(Reason.text).where(Reason.respondent_id == respondent.id)
                ).all()
                assert len(ratings) == cells
                # Whole: every cell and every reason from one and the same version.
                (reason,) = set(reasons)
                version = int(reason.removeprefix("version "))
                assert len(reasons) == len(round_.items)
                expected = {k: v for k, v in versions[version].items() if k.startswith("r-")}
                assert {f"r-{s}-{c}": str(r) for s, c, r in ratings} == expected
                # The compact copy holds the same answer set.
                (compact,) = submissions
                layout = answers_store.layout_of(
                    round_, session.get_one(Survey, study.survey_id).answer_criteria
                )
                assert {
                    f"r-{s}-{c}": str(r) for (s, c), r in layout.decode(compact.cells).items()
                } == expected


class TestTwoFacilitatorsAtOnce:
    """Two clicks on Close (or Launch) at once: one does it, the other is told why not."""

    def test_closing_a_round_twice_at_once(self, live_database: str) -> None:
        study = _set_up(5)
        results = _run([lambda: _close(study) for _ in range(4)])
        snapshots = [r for r in results if isinstance(r, RoundSnapshot)]
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(snapshots) == 1, results
        assert len(refused) == 3, results
        assert all(
            re.search(r"round 1 is (already closed|closed, not open)", str(r)) for r in refused
        )
        with unit_of_work() as session:
            assert len(session.scalars(select(RoundSnapshot)).all()) == 1
            assert session.get_one(Round, study.round_id).state == RoundState.CLOSED

    def test_launching_a_round_twice_at_once(self, live_database: str) -> None:
        study = _set_up(5, launch=False)

        def launch() -> int:
            with unit_of_work() as session:
                survey = session.get_one(Survey, study.survey_id)
                return rounds.launch(session, survey, actor="t").number

        results = _run([launch for _ in range(4)])
        assert [r for r in results if not isinstance(r, Conflict)] == [1], results
        with unit_of_work() as session:
            numbers = session.scalars(select(Round.number)).all()
            links_ = session.scalars(select(AccessLink)).all()
        assert numbers == [1]
        assert len(links_) == 5


class TestFirstAnswerOfAPanelist:
    """Two transactions creating the same pseudonym at once end up with the one row."""

    def test_the_second_creator_uses_the_first_ones_respondent(self, live_database: str) -> None:
        study = _set_up(1, launch=False)
        created = threading.Event()

        def first() -> int:
            with unit_of_work() as session:
                respondent = respondents.find_or_create(
                    session, session.get_one(Panelist, study.panelist_ids[0])
                )
                created.set()
                # Still uncommitted while the second one looks and tries to insert.
                threading.Event().wait(0.5)
                return respondent.id

        def second() -> int:
            assert created.wait(TIMEOUT)
            with unit_of_work() as session:
                panelist = session.get_one(Panelist, study.panelist_ids[0])
                return respondents.find_or_create(session, panelist).id

        one, two = _run([first, second])
        assert one == two, (one, two)
        with unit_of_work() as session:
            assert len(session.scalars(select(Respondent)).all()) == 1
