"""Test data builders: panels and submitted answers written straight to the database."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.answers import service as answers_store
from app.answers.sheet import AnswerSheet
from app.models import Panelist, Round, Survey
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
    sheet = AnswerSheet(
        ratings={
            (item.statement_id, criterion.id): rating(j, c)
            for j, item in enumerate(round_.items)
            for c, criterion in enumerate(survey.criteria)
        }
    )
    layout = answers_store.layout_of(round_, survey.answer_criteria)
    answers_store.submit(db, round_.id, respondent.id, layout, sheet, language="en")
    db.flush()


def submit_with_reasons(
    db: Session,
    survey: Survey,
    round_: Round,
    panelist: Panelist,
    rating: Callable[[int, int], int | None],
    reason: Callable[[int], str | None],
    *,
    language: str = "en",
) -> None:
    """Like :func:`submit`, with ``reason(statement_index)`` on each statement (None: none)."""
    respondent = respondents.find_or_create(db, panelist)
    sheet = AnswerSheet(
        ratings={
            (item.statement_id, criterion.id): rating(j, c)
            for j, item in enumerate(round_.items)
            for c, criterion in enumerate(survey.criteria)
        },
        reasons={
            item.statement_id: text
            for j, item in enumerate(round_.items)
            if (text := reason(j)) is not None
        },
    )
    layout = answers_store.layout_of(round_, survey.answer_criteria)
    answers_store.submit(db, round_.id, respondent.id, layout, sheet, language=language)
    db.flush()
