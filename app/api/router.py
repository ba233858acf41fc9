"""The analyst JSON API under /api/v1 (every route needs an API key)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status
from fastapi.responses import Response

from app.api import keys, schemas, service
from app.api.caching import respond
from app.api.keys import AnalystKey, CurrentKey
from app.errors import N_, NotFound
from app.exports import service as exports
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


def problem_doc(description: str) -> dict[str, Any]:
    """An OpenAPI response entry: the problem body and what it means."""
    return {"model": schemas.Problem, "description": description}


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: problem_doc("No such study or round.")
}
OPEN_ROUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: problem_doc("The round is not closed yet.")
}
# Closed-round resources carry an ETag; a client that sends it back gets 304.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    status.HTTP_304_NOT_MODIFIED: {"description": "Unchanged since the ETag sent."}
}
JSON = "application/json"
CSV = "text/csv; charset=utf-8"

router = APIRouter(
    prefix="/api/v1",
    tags=["analyst"],
    dependencies=[AnalystKey],
    responses={
        status.HTTP_401_UNAUTHORIZED: problem_doc("Missing, unknown, revoked or expired API key.")
    },
)


def study_or_404(session: SessionDep, key: StudyKey, api_key: CurrentKey) -> Survey:
    """The study named in the path, or a 404 JSON answer (also outside the key's scope)."""
    survey = studies.get_by_key(session, key)
    if survey is None or not keys.in_scope(api_key, survey):
        # The same answer either way: a scoped key cannot tell which other studies exist.
        raise NotFound(N_("no study with key %(key)s"), key=repr(key))
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


def _attachment(survey: Survey, number: int, name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{survey.key}-round-{number}-{name}"'}


@router.get(
    "/studies/{key}/rounds/{number}/metrics",
    status_code=status.HTTP_200_OK,
    response_model=schemas.RoundMetrics,
    responses={**NOT_MODIFIED, **NOT_FOUND, **OPEN_ROUND},
)
def round_metrics(
    request: Request, session: SessionDep, survey: StudyDep, number: RoundNumber
) -> Response:
    """A closed round's metrics per statement and criterion, with consensus and breakdowns."""
    body = service.metrics(session, survey, number).model_dump_json()
    return respond(request, body, JSON, immutable=True)


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
def round_ratings(
    request: Request, session: SessionDep, survey: StudyDep, number: RoundNumber
) -> Response:
    """A closed round's anonymous submitted ratings as long-format CSV."""
    body = service.ratings_csv(session, survey, number)
    return respond(
        request, body, CSV, immutable=True, headers=_attachment(survey, number, "ratings.csv")
    )


@router.get(
    "/studies/{key}/rounds/{number}/reasons",
    status_code=status.HTTP_200_OK,
    response_model=schemas.RoundReasons,
    responses={**NOT_MODIFIED, **NOT_FOUND, **OPEN_ROUND},
)
def round_reasons(
    request: Request, session: SessionDep, survey: StudyDep, number: RoundNumber
) -> Response:
    """A closed round's visible reasons with their ratings and bands, and their summaries."""
    body = service.round_reasons(session, survey, number).model_dump_json()
    # A facilitator may still hide a reason: revalidated on every use.
    return respond(request, body, JSON, immutable=False)


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
def round_reasons_csv(
    request: Request, session: SessionDep, survey: StudyDep, number: RoundNumber
) -> Response:
    """A closed round's visible reasons as long-format CSV, without any respondent code."""
    body = service.reasons_csv(session, survey, number)
    return respond(
        request, body, CSV, immutable=False, headers=_attachment(survey, number, "reasons.csv")
    )


ExportTable = StrEnum("ExportTable", {name: name for name in exports.names()})  # type: ignore[misc]


@router.get(
    "/studies/{key}/rounds/{number}/metrics.xlsx",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    responses={
        status.HTTP_200_OK: {
            "content": {exports.XLSX_TYPE: {}},
            "description": "One sheet per table ("
            + ", ".join(exports.names())
            + "); the dictionary sheet describes every column.",
        },
        **NOT_MODIFIED,
        **NOT_FOUND,
        **OPEN_ROUND,
    },
)
def round_workbook(
    request: Request, session: SessionDep, survey: StudyDep, number: RoundNumber
) -> Response:
    """A closed round's export tables and their data dictionary as one XLSX workbook."""
    tables = exports.round_tables(session, survey, number)
    return respond(
        request,
        exports.to_xlsx(tables),
        exports.XLSX_TYPE,
        immutable=False,  # its reasons sheet follows moderation, its dictionary releases
        etag=f'W/"{exports.fingerprint(tables)[:32]}"',
        headers=_attachment(survey, number, "metrics.xlsx"),
    )


@router.get(
    "/studies/{key}/rounds/{number}/tables/{table}.csv",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    responses={
        status.HTTP_200_OK: {
            "content": {"text/csv": {}},
            "description": "One export table; the dictionary table describes every column.",
        },
        **NOT_MODIFIED,
        **NOT_FOUND,
        **OPEN_ROUND,
    },
)
def round_table_csv(
    request: Request,
    session: SessionDep,
    survey: StudyDep,
    number: RoundNumber,
    table: Annotated[ExportTable, Path(description="The table, as in the workbook's sheets.")],
) -> Response:
    """One export table of a closed round as CSV (the sheets of metrics.xlsx, one by one)."""
    found = exports.round_table(session, survey, number, table.value)
    return respond(
        request,
        exports.to_csv(found),
        CSV,
        immutable=exports.immutable(table.value),
        headers=_attachment(survey, number, f"{table.value}.csv"),
    )


@router.get("/studies/{key}/proposals", status_code=status.HTTP_200_OK, responses=NOT_FOUND)
def list_proposals(session: SessionDep, survey: StudyDep) -> list[schemas.ProposalOut]:
    """The panel's proposals with the facilitators' decisions; none links to its writer."""
    return service.list_proposals(session, survey)


@router.get("/studies/{key}/statements", status_code=status.HTTP_200_OK, responses=NOT_FOUND)
def list_statements(session: SessionDep, survey: StudyDep) -> list[schemas.StatementOut]:
    """Every version of every statement, with its origin, lineage and rounds."""
    return service.list_statements(session, survey)
