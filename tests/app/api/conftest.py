"""Factories for API tests: a panel, rounds, and submitted answers written as rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from sqlalchemy.orm import Session

import engine
from app.api import keys
from app.models import Criterion, Panelist, Round, Survey
from app.panel import respondents
from app.rounds import service as rounds
from tests.app.factories import submit

# statement key -> criterion key -> rating, or None for "cannot judge"
AnswerSet = dict[str, dict[str, int | None]]
Rater = Callable[[int, str, str, Criterion], int | None]


@dataclass
class Answers:
    """What a test submitted in one round, by respondent, to compare with the API."""

    round: Round
    by_respondent: dict[int, AnswerSet] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=dict)

    def matrix(self, criterion: Criterion) -> tuple[np.ndarray, np.ndarray]:
        """(respondents x statements) ratings with NaN for cannot-judge, and cj counts."""
        keys_ = [item.statement.key for item in self.round.items]
        rows = [
            [
                np.nan if answers[k][criterion.key] is None else answers[k][criterion.key]
                for k in keys_
            ]
            for answers in self.by_respondent.values()
        ]
        matrix = np.asarray(rows, dtype=float).reshape(len(rows), len(keys_))
        return matrix, np.isnan(matrix).sum(axis=0)

    def expected(self, survey: Survey, criterion: Criterion) -> engine.Summary:
        """The engine's summary of these answers with the study's method settings."""
        matrix, cannot_judge = self.matrix(criterion)
        return engine.summarize(
            matrix,
            engine.Scale(criterion.scale_low, criterion.scale_high),
            quantile_method=survey.method["quantile_method"],
            agree=(criterion.agree_low, criterion.agree_high),
            disagree=(criterion.disagree_low, criterion.disagree_high),
            cannot_judge=cannot_judge,
            cannot_judge_counts=survey.method["cannot_judge_counts"],
        )


class StudyFactory:
    def __init__(self, db: Session, survey: Survey) -> None:
        self.db = db
        self.survey = survey
        self.panelists: list[Panelist] = []

    def panel(self, sizes: dict[str, int]) -> list[Panelist]:
        """Add ``sizes[group]`` panelists per stakeholder group."""
        for group, size in sizes.items():
            for i in range(size):
                panelist = Panelist(
                    survey_id=self.survey.id,
                    email=f"{group}-{i}@example.org",
                    name=f"{group} {i}",
                    stakeholder_group=group,
                    language="en",
                )
                self.db.add(panelist)
                self.panelists.append(panelist)
        self.db.flush()
        return self.panelists

    def launch(self) -> Round:
        return rounds.launch(self.db, self.survey, actor="test")

    def answer(
        self,
        round_: Round,
        *,
        seed: int = 0,
        rate: Rater | None = None,
        panelists: list[Panelist] | None = None,
    ) -> Answers:
        """Submit an answer set for each panelist (all by default).

        Ratings come from ``rate``, by default :func:`seeded_rater` with ``seed``.
        """
        rate = rate or seeded_rater(seed)
        answers = Answers(round=round_)
        statements = [item.statement.key for item in round_.items]
        criteria = [c.key for c in self.survey.criteria]
        for index, panelist in enumerate(panelists or self.panelists):
            answer_set = {
                item.statement.key: {
                    c.key: rate(index, panelist.stakeholder_group, item.statement.key, c)
                    for c in self.survey.criteria
                }
                for item in round_.items
            }
            submit(
                self.db,
                self.survey,
                round_,
                panelist,
                lambda j, c, answer_set=answer_set: answer_set[statements[j]][criteria[c]],
            )
            respondent = respondents.find(self.db, panelist)
            answers.by_respondent[respondent.id] = answer_set
            answers.groups[respondent.id] = respondent.stakeholder_group
        return answers

    def close(self, round_: Round) -> None:
        rounds.close(self.db, self.survey, round_, actor="test")


def seeded_rater(seed: int) -> Rater:
    """Ratings that agree on every third statement and scatter elsewhere; some cannot-judge."""
    rng = np.random.default_rng(seed)

    def rate(_index: int, _group: str, statement: str, criterion: Criterion) -> int | None:
        if rng.random() < 0.04:
            return None
        if int(statement.rsplit("-", 1)[1]) % 3 == 0:
            return int(rng.integers(criterion.scale_high - 1, criterion.scale_high + 1))
        return int(rng.integers(criterion.scale_low, criterion.scale_high + 1))

    return rate


@pytest.fixture
def study(db: Session, survey: Survey) -> StudyFactory:
    return StudyFactory(db, survey)


@pytest.fixture
def auth(db: Session) -> dict[str, str]:
    """Headers carrying a fresh analyst key."""
    return {"Authorization": f"Bearer {keys.create(db, name='tests')}"}
