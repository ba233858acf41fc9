"""Two checkpoints asked for at once, on a database the code opens itself: one snapshot."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select

from app.answers import live as live_answers
from app.answers.sheet import AnswerSheet
from app.db import Transactions, unit_of_work
from app.models import Panelist, Round, RoundSnapshot
from app.panel import respondents
from app.realtime import checkpoints
from app.rounds import service as rounds
from app.rounds.plan import plan_of
from app.studies import service as studies
from tests.app.conftest import ROOT

STUDY = Path(ROOT) / "surveys" / "crime-prevention-realtime.yaml"


def test_two_checkpoints_at_once_give_one_snapshot(live_database: str) -> None:
    with unit_of_work() as session:
        survey = studies.import_file(session, STUDY, actor="test")
        panel = [
            Panelist(
                survey_id=survey.id,
                email=f"p{i}@example.org",
                name=f"P{i}",
                stakeholder_group="ngo",
                language="en",
            )
            for i in range(8)
        ]
        session.add_all(panel)
        session.flush()
        live = rounds.launch(session, survey, actor="test")
        plan = plan_of(session, live.id, live.opened_at, live.number)
        sid = live.items[0].statement_id
        for i, panelist in enumerate(panel):
            respondent = respondents.find_or_create(session, panelist)
            sheet = AnswerSheet(ratings={(sid, c.id): 1 + i % 5 for c in survey.criteria})
            live_answers.submit_statements(
                session, live.id, respondent.id, plan.layout, sheet, list(sheet.ratings),
                language="en", in_view=(), confirmed=(), reasons_for=[sid],
            )  # fmt: skip
        survey_id = survey.id
    start = threading.Barrier(2)
    taken: list[int] = []
    failures: list[BaseException] = []

    def take() -> None:
        start.wait()
        try:
            taken.append(checkpoints.take(Transactions(), survey_id, actor="test").id)
        except BaseException as exc:  # reported below, with the thread's own error
            failures.append(exc)

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert len(set(taken)) == 1
    with unit_of_work() as session:
        frozen = session.scalar(
            select(func.count()).select_from(Round).where(Round.checkpoint_of.is_not(None))
        )
        snapshots = session.scalar(select(func.count()).select_from(RoundSnapshot))
    assert (frozen, snapshots) == (1, 1)
