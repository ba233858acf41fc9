"""The pseudonym side: find or create the Respondent that answers for a panelist."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Panelist, Respondent
from app.security import respondent_key


def find(session: Session, panelist: Panelist) -> Respondent | None:
    key = respondent_key(panelist.survey_id, panelist.id)
    return session.scalar(select(Respondent).where(Respondent.key == key))


def find_or_create(session: Session, panelist: Panelist) -> Respondent:
    """Created on first answer, so respondent ids follow answer order, not the panel list.

    Safe against a concurrent first answer by the same panelist: the insert runs in a
    savepoint, and if the other transaction's row wins the unique key, that row is used.
    """
    respondent = find(session, panelist)
    if respondent is not None:
        return respondent
    respondent = Respondent(
        survey_id=panelist.survey_id,
        key=respondent_key(panelist.survey_id, panelist.id),
        stakeholder_group=panelist.stakeholder_group,
    )
    try:
        with session.begin_nested():
            session.add(respondent)
    except IntegrityError:
        existing = find(session, panelist)
        if existing is None:
            raise
        return existing
    return respondent
