"""Queries about rounds and their answers."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AccessLink, Round, RoundSnapshot, RoundState, Submission, Survey


def rounds_of(session: Session, survey: Survey) -> list[Round]:
    return list(
        session.scalars(select(Round).where(Round.survey_id == survey.id).order_by(Round.number))
    )


def latest(session: Session, survey: Survey) -> Round | None:
    return session.scalar(
        select(Round).where(Round.survey_id == survey.id).order_by(Round.number.desc()).limit(1)
    )


def open_round(session: Session, survey: Survey) -> Round | None:
    return session.scalar(
        select(Round).where(Round.survey_id == survey.id, Round.state == RoundState.OPEN)
    )


def by_number(session: Session, survey: Survey, number: int) -> Round | None:
    return session.scalar(select(Round).where(Round.survey_id == survey.id, Round.number == number))


def previous(session: Session, round_: Round) -> Round | None:
    return session.scalar(
        select(Round).where(Round.survey_id == round_.survey_id, Round.number == round_.number - 1)
    )


def invited_count(session: Session, round_: Round) -> int:
    # A real-time checkpoint was answered through its live round's links.
    linked = round_.checkpoint_of or round_.id
    return int(
        session.scalar(
            select(func.count(func.distinct(AccessLink.panelist_id))).where(
                AccessLink.round_id == linked
            )
        )
        or 0
    )


def submitted_count(session: Session, round_: Round) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Submission.round_id == round_.id, Submission.submitted_on.is_not(None)
            )
        )
        or 0
    )


def started_count(session: Session, round_: Round) -> int:
    return int(session.scalar(select(func.count()).where(Submission.round_id == round_.id)) or 0)


def snapshot_of(session: Session, round_: Round) -> RoundSnapshot | None:
    """The stored results of ``round_`` (``None`` until it is closed)."""
    return session.scalar(select(RoundSnapshot).where(RoundSnapshot.round_id == round_.id))
