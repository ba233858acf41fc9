"""Analyst API: the final study report as JSON and as PDF."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from app.api.keys import AnalystKey
from app.api.router import NOT_FOUND, StudyDep, problem_doc
from app.reports import page, schemas, service
from app.web.sessions import SessionDep

OPEN_STUDY: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: problem_doc("A round of the study is still open.")
}

PdfLanguage = Annotated[
    str | None,
    Query(
        max_length=16,
        description="The language the PDF is worded in (ar, en, es, fr, ru, zh); another or "
        "none gives English. The JSON report's words are always English.",
    ),
]

router = APIRouter(
    prefix="/api/v1",
    tags=["analyst"],
    dependencies=[AnalystKey],
    responses={
        status.HTTP_401_UNAUTHORIZED: problem_doc("Missing, unknown, revoked or expired API key.")
    },
)


@router.get(
    "/studies/{key}/report",
    status_code=status.HTTP_200_OK,
    response_model=schemas.Report,
    # opinion groups of a round too small to map, and panel cells of a round with no flow
    # stored, have their fields absent rather than null
    response_model_exclude_unset=True,
    responses={**NOT_FOUND, **OPEN_STUDY},
)
def report(session: SessionDep, survey: StudyDep) -> dict[str, Any]:
    """The final report's data: panel, rounds, plan, verdicts, dissent, analyses, checklist."""
    return service.build(session, survey)


@router.get(
    "/studies/{key}/report.pdf",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    responses={
        status.HTTP_200_OK: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The report printed to A4 PDF, with its charts and text tables.",
        },
        status.HTTP_503_SERVICE_UNAVAILABLE: problem_doc("Chromium, which prints it, is missing."),
        **NOT_FOUND,
        **OPEN_STUDY,
    },
)
def report_pdf(session: SessionDep, survey: StudyDep, lang: PdfLanguage = None) -> Response:
    """The final report printed to A4 PDF, in English unless ``lang`` names another."""
    return Response(
        page.pdf_of(session, survey, lang),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{survey.key}-report.pdf"'},
    )
