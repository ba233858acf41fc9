"""A round's response rate per stakeholder group, with small groups held back.

Whether someone has submitted is not a rating, but in a group of two a rate says it of
each of them. So a group's counts are shown only if at least ``k`` (the study's minimum
group size) were invited from it, and the groups held back together number either none
or at least ``k`` (else the next smallest is held back too): subtracting the shown groups
from the round's total then tells nothing about fewer than ``k`` people.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AccessLink, Panelist, Respondent, Round, Submission, Survey


@dataclass(frozen=True)
class GroupProgress:
    key: str
    label: str
    invited: int
    submitted: int | None  # None: held back

    @property
    def response_rate(self) -> float | None:
        if self.submitted is None or not self.invited:
            return None
        return self.submitted / self.invited


def by_group(session: Session, survey: Survey, round_: Round) -> list[GroupProgress]:
    """Invited and submitted per stakeholder group of the study, in the study's order."""
    invited: dict[str, int] = {
        str(g): int(n)
        for g, n in session.execute(
            select(Panelist.stakeholder_group, func.count(func.distinct(Panelist.id)))
            .join(AccessLink, AccessLink.panelist_id == Panelist.id)
            .where(AccessLink.round_id == round_.id)
            .group_by(Panelist.stakeholder_group)
        ).all()
    }
    submitted: dict[str, int] = {
        str(g): int(n)
        for g, n in session.execute(
            select(Respondent.stakeholder_group, func.count())
            .join(Submission, Submission.respondent_id == Respondent.id)
            .where(Submission.round_id == round_.id, Submission.submitted_on.is_not(None))
            .group_by(Respondent.stakeholder_group)
        ).all()
    }
    keys = [str(g["key"]) for g in survey.stakeholder_groups]
    hidden = held_back({k: invited.get(k, 0) for k in keys}, survey.min_group_size)
    return [
        GroupProgress(
            key=k,
            label=survey.group_label(k),
            invited=invited.get(k, 0),
            submitted=None if k in hidden else submitted.get(k, 0),
        )
        for k in keys
    ]


def held_back(sizes: dict[str, int], k: int) -> set[str]:
    """The groups whose counts are not shown: under ``k``, plus enough to make the rest safe.

    Empty groups (nobody invited) have nothing to hide and are never held back.
    """
    hidden = {g for g, n in sizes.items() if 0 < n < k}
    while hidden:
        total = sum(sizes[g] for g in hidden)
        if total >= k:
            break
        shown = sorted((n, g) for g, n in sizes.items() if n > 0 and g not in hidden)
        if not shown:
            break
        hidden.add(shown[0][1])
    return hidden
