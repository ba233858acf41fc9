"""Analyst API: trajectories, sensitivity, opinion groups and attrition from the snapshots."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from app.analysis import schemas, study
from app.api import service as api_service
from app.api.keys import AnalystKey
from app.api.router import NOT_FOUND, OPEN_ROUND, RoundNumber, StudyDep, problem_doc
from app.errors import N_, NotFound
from app.rounds import repository
from app.web.sessions import SessionDep

router = APIRouter(
    prefix="/api/v1",
    tags=["analyst"],
    dependencies=[AnalystKey],
    responses={
        status.HTTP_401_UNAUTHORIZED: problem_doc("Missing, unknown, revoked or expired API key.")
    },
)


@router.get(
    "/studies/{key}/trajectory",
    status_code=status.HTTP_200_OK,
    response_model=list[schemas.Trajectory],
    responses=NOT_FOUND,
)
def trajectory(session: SessionDep, survey: StudyDep) -> list[dict[str, Any]]:
    """Per statement and criterion, the median, quartiles and agreement of each closed round."""
    return study.trajectory(survey, study.closed_rounds(session, survey))


@router.get(
    "/studies/{key}/sensitivity",
    status_code=status.HTTP_200_OK,
    response_model=list[schemas.RoundSensitivity],
    responses=NOT_FOUND,
)
def sensitivity(session: SessionDep, survey: StudyDep) -> list[dict[str, Any]]:
    """Per closed round and criterion, the verdict of every consensus rule, and the flips."""
    return study.sensitivity(study.closed_rounds(session, survey))


@router.get(
    "/studies/{key}/rounds/{number}/opinion-groups",
    status_code=status.HTTP_200_OK,
    response_model=schemas.OpinionGroups,
    # a round with too few respondents stores no map: its fields stay absent, not null
    response_model_exclude_unset=True,
    responses={**NOT_FOUND, **OPEN_ROUND},
)
def opinion_groups(session: SessionDep, survey: StudyDep, number: RoundNumber) -> dict[str, Any]:
    """A closed round's opinion groups: unlabelled map, sizes, distinguishing statements."""
    round_ = api_service.closed_round(session, survey, number)
    snapshot = repository.snapshot_of(session, round_)
    found = (
        study.opinion_groups(study.ClosedRound(round_, snapshot)) if snapshot is not None else None
    )
    if found is None:
        raise NotFound(
            N_("round %(number)s of %(key)r has no opinion groups stored"),
            number=number,
            key=survey.key,
        )

    return found


@router.get(
    "/studies/{key}/attrition",
    status_code=status.HTTP_200_OK,
    response_model=list[schemas.RoundAttrition],
    responses=NOT_FOUND,
)
def attrition(session: SessionDep, survey: StudyDep) -> list[dict[str, Any]]:
    """Per closed round: invited, started, submitted, dropped; dropouts against stayers."""
    return study.attrition(study.closed_rounds(session, survey))
