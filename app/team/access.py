"""Whether an account may do something in the study a console address names.

No role in the study: 404, exactly as for a study that does not exist, so accounts
cannot find out which studies there are. A role below what the request needs: 403.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.console.labels import said
from app.errors import N_, DomainError, NotFound
from app.models import Facilitator, Membership, Role, Survey

# Study keys are at most 80 characters (the column and the study schema say so).
MAX_KEY_LENGTH = 80
READS = frozenset({"GET", "HEAD"})


class Forbidden(DomainError):
    status = 403


def needed_for(method: str) -> Role:
    """Reading needs any role; changing anything needs facilitator or owner."""
    return Role.OBSERVER if method in READS else Role.FACILITATOR


def require(session: Session, facilitator: Facilitator, key: str, needed: Role) -> Role:
    """The account's role in study ``key`` if it is at least ``needed``.

    Raises ``NotFound`` when the account is not on the study's team (or there is no such
    study) and :class:`Forbidden` when its role is too low.
    """
    # No study has such a key; PostgreSQL would refuse the NUL outright.
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise NotFound(N_("There is no study at this address."))
    role = session.scalar(
        select(Membership.role)
        .join(Survey, Survey.id == Membership.survey_id)
        .where(Survey.key == key, Membership.facilitator_id == facilitator.id)
    )
    if role is None:
        # The message a missing study gets, so the two cannot be told apart.
        raise NotFound(N_("no study with key %(key)s"), key=repr(key))
    if not role.includes(needed):
        raise Forbidden(
            N_(
                "Your role in this study is %(role)s; this needs the %(needed)s role. "
                "An owner of the study can change your role."
            ),
            role=said(role),
            needed=said(needed),
        )
    return role
