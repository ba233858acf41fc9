"""Console pages of the final study report: the page (printable) and its PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.console import auth
from app.console.auth import CurrentFacilitator
from app.console.pages import Study
from app.db import SessionDep
from app.reports import page
from app.web.templating import templates

router = APIRouter(
    prefix="/console",
    include_in_schema=False,
    default_response_class=HTMLResponse,
    route_class=auth.ConsoleRoute,
)

CriterionKey = Annotated[
    str | None, Query(max_length=80, description="A criterion's key for the map.")
]


@router.get("/studies/{key}/report", name="console_final_report")
def final_report(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    survey: Study,
    x: CriterionKey = None,
    y: CriterionKey = None,
) -> Response:
    """The final report of the study's closed rounds, with print styles for A4."""
    pair = (x, y) if x and y else None
    return templates.TemplateResponse(request, page.TEMPLATE, page.context(session, survey, pair))


@router.get("/studies/{key}/report.pdf", name="console_final_report_pdf")
def final_report_pdf(
    session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """The final report as an A4 PDF."""
    return Response(
        page.pdf_of(session, survey),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{survey.key}-report.pdf"'},
    )
