"""Test data builders: panels and submitted answers written straight to the database."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.models import AnswerKind, Panelist, Response, Round, Submission, Survey
from app.models.base import today
from app.panel import respondents

GROUPS = ("member-state", "ngo", "academia", "private-sector", "institute")


def make_panel(
    db: Session, survey: Survey, size: int, groups: tuple[str, ...] = GROUPS
) -> list[Panelist]:
    panel = [
        Panelist(
            survey_id=survey.id,
            email=f"panelist{i}@example.org",
            name=f"Panelist {i}",
            stakeholder_group=groups[i % len(groups)],
            language="en",
        )
        for i in range(size)
    ]
    db.add_all(panel)
    db.flush()
    return panel


def submit(
    db: Session,
    survey: Survey,
    round_: Round,
    panelist: Panelist,
    rating: Callable[[int, int], int | None],
) -> None:
    """Submit ``rating(statement_index, criterion_index)`` for ``panelist``; None = cannot judge."""
    respondent = respondents.find_or_create(db, panelist)
    db.add(Submission(round_id=round_.id, respondent_id=respondent.id, submitted_on=today()))
    for j, item in enumerate(round_.items):
        for c, criterion in enumerate(survey.criteria):
            value = rating(j, c)
            db.add(
                Response(
                    round_id=round_.id,
                    respondent_id=respondent.id,
                    statement_id=item.statement_id,
                    criterion_id=criterion.id,
                    kind=AnswerKind.SUBMITTED,
                    rating=value,
                    cannot_judge=value is None,
                )
            )
    db.flush()
