"""The pseudonym side: find or create the Respondent that answers for a panelist."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Panelist, Respondent
from app.models.base import random_id
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


def find_id(session: Session, survey_id: int, panelist_id: int) -> int | None:
    """The id of the panelist's Respondent, if they have answered before."""
    key = respondent_key(survey_id, panelist_id)
    return session.connection().execute(_FIND_ID, {"key": key}).scalar()


# Built once and run on the connection: the answer path asks on every request.
_FIND_ID = select(Respondent.id).where(Respondent.key == bindparam("key"))


def find_or_create_id(
    session: Session, survey_id: int, panelist_id: int, stakeholder_group: str
) -> int:
    """Like :func:`find_or_create`, by ids, for the answer path.

    Its caller holds the panelist's row lock (PostgreSQL) or the write turn (SQLite), so
    no other first answer of the same panelist can insert in between: one INSERT, no
    savepoint.
    """
    found = find_id(session, survey_id, panelist_id)
    if found is not None:
        return found
    new_id = random_id()
    session.execute(
        insert(Respondent).values(
            id=new_id,
            survey_id=survey_id,
            key=respondent_key(survey_id, panelist_id),
            stakeholder_group=stakeholder_group,
        )
    )
    return new_id
