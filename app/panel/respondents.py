"""The pseudonym side: find or create the Respondent that answers for a panelist."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Panelist, Respondent
from app.security import respondent_key


def find(session: Session, panelist: Panelist) -> Respondent | None:
    key = respondent_key(panelist.survey_id, panelist.id)
    return session.scalar(select(Respondent).where(Respondent.key == key))


def find_or_create(session: Session, panelist: Panelist) -> Respondent:
    """Created on first answer, so respondent ids follow answer order, not the panel list."""
    respondent = find(session, panelist)
    if respondent is None:
        respondent = Respondent(
            survey_id=panelist.survey_id,
            key=respondent_key(panelist.survey_id, panelist.id),
            stakeholder_group=panelist.stakeholder_group,
        )
        session.add(respondent)
        session.flush()
    return respondent
