"""A closed round's submitted answers as the statistics read them: one matrix per criterion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from app.answers import cells
from app.answers import service as answers_store
from app.models import CriterionKind, Round, Survey
from app.rankings import metrics


@dataclass(frozen=True)
class RoundRatings:
    """Submitted ratings of one round: one (respondents x statements) matrix per criterion."""

    respondent_ids: list[int]
    groups: list[str]
    statement_ids: list[int]
    ratings: dict[int, np.ndarray]  # criterion id -> float matrix, NaN = no rating
    cannot_judge: dict[int, np.ndarray]  # criterion id -> per-statement count
    cannot_judge_mask: dict[int, np.ndarray]  # criterion id -> respondents x statements
    positions: dict[int, np.ndarray]  # ranking criterion id -> float matrix, NaN = not placed

    @property
    def ranked(self) -> metrics.RoundPositions:
        """The ranking criteria's positions, as app.rankings takes them."""
        return metrics.RoundPositions(self.respondent_ids, self.statement_ids, self.positions)


def load_ratings(session: Session, survey: Survey, round_: Round) -> RoundRatings:
    """The submitted answers of ``round_``, rows ordered by respondent id."""
    layout = answers_store.layout_of(round_, survey.answer_criteria)
    data = answers_store.submitted(session, round_.id, layout)
    return RoundRatings(
        respondent_ids=data.respondent_ids.tolist(),
        groups=data.groups,
        statement_ids=list(layout.statement_ids),
        ratings={c.id: cells.ratings(data.cells[:, :, k]) for k, c in enumerate(survey.criteria)},
        cannot_judge={
            c.id: cells.cannot_judge_counts(data.cells[:, :, k])
            for k, c in enumerate(survey.criteria)
        },
        cannot_judge_mask={
            c.id: data.cells[:, :, k] == cells.CANNOT_JUDGE for k, c in enumerate(survey.criteria)
        },
        positions={
            c.id: cells.ratings(data.cells[:, :, k])
            for k, c in enumerate(survey.answer_criteria)
            if c.kind == CriterionKind.RANK
        },
    )
