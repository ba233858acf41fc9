"""A study run through two rounds and finished, for the analyses and the final report.

Round 1: everyone answers. Round 2: seven panelists drop out; they had rated the first
statements low in round 1, everyone else high, so attrition has something to find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from sqlalchemy.orm import Session

from app.models import Criterion, Survey
from app.rounds import service as rounds
from tests.app.api.conftest import Answers, StudyFactory, auth, study  # noqa: F401
from tests.app.console.conftest import facilitator, post_form, signed_in  # noqa: F401

PANEL = {"member-state": 8, "ngo": 6, "academia": 6, "private-sector": 2, "institute": 5}
DROPOUTS = 7


@dataclass
class TwoRounds:
    survey: Survey
    first: Answers
    second: Answers
    dropped: set[int]  # respondent ids of those who did not answer round 2


def _rater(seed: int, dropouts: set[int]):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)

    def rate(index: int, group: str, statement: str, criterion: Criterion) -> int | None:
        number = int(statement.rsplit("-", 1)[1])
        low, high = criterion.scale_low, criterion.scale_high
        if number <= 2:  # the dropouts' own view of the first statements
            return (
                low + int(rng.integers(0, 2))
                if index in dropouts
                else high - int(rng.integers(0, 2))
            )
        if number % 3 == 0:
            return int(rng.integers(high - 1, high + 1))
        return int(rng.integers(low, high + 1))

    return rate


@pytest.fixture
def two_rounds(db: Session, study: StudyFactory) -> TwoRounds:  # noqa: F811
    panel = study.panel(PANEL)
    dropout_index = set(range(DROPOUTS))
    round_1 = study.launch()
    first = study.answer(round_1, rate=_rater(1, dropout_index))
    study.close(round_1)
    round_2 = study.launch()
    second = study.answer(round_2, rate=_rater(2, set()), panelists=panel[DROPOUTS:])
    study.close(round_2)
    rounds.finish(db, study.survey, actor="test")
    dropped = set(first.by_respondent) - set(second.by_respondent)
    assert len(dropped) == DROPOUTS
    return TwoRounds(study.survey, first, second, dropped)
