"""The analyst JSON API under /api/v1 (every route needs an API key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status
from fastapi.responses import Response

from app.api import keys, schemas, service
from app.api.keys import AnalystKey, CurrentKey
from app.errors import NotFound
from app.models import Survey
from app.studies import service as studies
from app.web.sessions import SessionDep

StudyKey = Annotated[
    str,
    Path(
        max_length=80,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="The study's key, e.g. from /studies.",
    ),
]
# The upper bound keeps absurd numbers from reaching the database's integer column.
RoundNumber = Annotated[
    int, Path(ge=0, le=10_000, description="The round number, from 1 (0: a round of proposals).")
]


def _problem(description: str) -> dict[str, Any]:
    return {"model": schemas.Problem, "description": description}


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: _problem("No such study or round.")
}
OPEN_ROUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: _problem("The round is not closed yet.")
}

router = APIRouter(
    prefix="/api/v1",
    tags=["analyst"],
    dependencies=[AnalystKey],
    responses={
        status.HTTP_401_UNAUTHORIZED: _problem("Missing, unknown, revoked or expired API key.")
    },
)


def study_or_404(session: SessionDep, key: StudyKey, api_key: CurrentKey) -> Survey:
    """The study named in the path, or a 404 JSON answer (also outside the key's scope)."""
    survey = studies.get_by_key(session, key)
    if survey is None or not keys.in_scope(api_key, survey):
        # The same answer either way: a scoped key cannot tell which other studies exist.
        raise NotFound(f"no study with key {key!r}")
    return survey


StudyDep = Annotated[Survey, Depends(study_or_404)]


@router.get("/studies", status_code=status.HTTP_200_OK)
def list_studies(session: SessionDep, api_key: CurrentKey) -> list[schemas.Study]:
    """The studies the key reads, with their criteria, consensus rules and stakeholder groups."""
    return service.list_studies(session, api_key.survey_id)


@router.get("/studies/{key}/rounds", status_code=status.HTTP_200_OK, responses=NOT_FOUND)
def list_rounds(session: SessionDep, survey: StudyDep) -> list[schemas.Round]:
    """The rounds of a study with their response rates."""
    return service.list_rounds(session, survey)


@router.get(
    "/studies/{key}/rounds/{number}/metrics",
    status_code=status.HTTP_200_OK,
    responses={**NOT_FOUND, **OPEN_ROUND},
)
def round_metrics(
    session: SessionDep, survey: StudyDep, number: RoundNumber
) -> schemas.RoundMetrics:
    """A closed round's metrics per statement and criterion, with consensus and breakdowns."""
    return service.metrics(session, survey, number)


@router.get(
    "/studies/{key}/rounds/{number}/ratings.csv",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    responses={
        status.HTTP_200_OK: {
            "content": {"text/csv": {}},
            "description": "Columns: " + ", ".join(service.CSV_COLUMNS) + ".",
        },
        **NOT_FOUND,
        **OPEN_ROUND,
    },
)
def round_ratings(session: SessionDep, survey: StudyDep, number: RoundNumber) -> Response:
    """A closed round's anonymous submitted ratings as long-format CSV."""
    return Response(
        service.ratings_csv(session, survey, number),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{survey.key}-round-{number}-ratings.csv"'
            )
        },
    )


@router.get(
    "/studies/{key}/rounds/{number}/reasons",
    status_code=status.HTTP_200_OK,
    responses={**NOT_FOUND, **OPEN_ROUND},
)
def round_reasons(
    session: SessionDep, survey: StudyDep, number: RoundNumber
) -> schemas.RoundReasons:
    """A closed round's visible reasons with their ratings and bands, and their summaries."""
    return service.round_reasons(session, survey, number)


@router.get(
    "/studies/{key}/rounds/{number}/reasons.csv",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    responses={
        status.HTTP_200_OK: {
            "content": {"text/csv": {}},
            "description": "One row per reason and criterion. Columns: "
            + ", ".join(service.REASON_CSV_COLUMNS)
            + ".",
        },
        **NOT_FOUND,
        **OPEN_ROUND,
    },
)
def round_reasons_csv(session: SessionDep, survey: StudyDep, number: RoundNumber) -> Response:
    """A closed round's visible reasons as long-format CSV, without any respondent code."""
    return Response(
        service.reasons_csv(session, survey, number),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{survey.key}-round-{number}-reasons.csv"'
            )
        },
    )


@router.get("/studies/{key}/proposals", status_code=status.HTTP_200_OK, responses=NOT_FOUND)
def list_proposals(session: SessionDep, survey: StudyDep) -> list[schemas.ProposalOut]:
    """The panel's proposals with the facilitators' decisions; none links to its writer."""
    return service.list_proposals(session, survey)


@router.get("/studies/{key}/statements", status_code=status.HTTP_200_OK, responses=NOT_FOUND)
def list_statements(session: SessionDep, survey: StudyDep) -> list[schemas.StatementOut]:
    """Every version of every statement, with its origin, lineage and rounds."""
    return service.list_statements(session, survey)
