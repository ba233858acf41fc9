"""Console pages of the final study report (the page, printable, and its PDF) and of the
pre-registered analysis plan with its amendments."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app import i18n
from app.analysis import plan as analysis_plan
from app.console.auth import CurrentFacilitator
from app.console.forms import PostedForm, field
from app.console.pages import Csrf, Study, console_language, console_router, done, render
from app.errors import DomainError
from app.i18n import N_
from app.models import Facilitator, Survey
from app.reports import page
from app.web.sessions import SessionDep
from app.web.templating import templates

router = console_router()


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
    """The final report of the study's closed rounds, with print styles for A4, in the
    language of the console's other pages."""
    pair = (x, y) if x and y else None
    with i18n.use_language(console_language(request)) as language:
        return templates.TemplateResponse(
            request, page.TEMPLATE, {**page.context(session, survey, pair), "lang": language}
        )


@router.get("/studies/{key}/report.pdf", name="console_final_report_pdf")
def final_report_pdf(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """The final report as an A4 PDF, in the language of the page that links to it."""
    return Response(
        page.pdf_of(session, survey, console_language(request)),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{survey.key}-report.pdf"'},
    )


def plan_page(
    request: Request,
    session: Session,
    survey: Survey,
    facilitator: Facilitator,
    error: DomainError | None = None,
) -> Response:
    return render(
        request,
        "plan.html",
        {
            "survey": survey,
            "plan": analysis_plan.get(session, survey),
            "settable": analysis_plan.settable(survey),
        },
        facilitator=facilitator,
        error=error,
    )


@router.get("/studies/{key}/plan", name="console_plan")
def plan(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """The frozen analysis plan, its hash and amendments, and the form to amend it."""
    return plan_page(request, session, survey, facilitator)


@router.post("/studies/{key}/plan", name="console_plan_amend")
def amend(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    form: PostedForm,
) -> Response:
    """Amend the frozen plan: one setting, its new value and the reason (required)."""
    try:
        with session.begin_nested():
            analysis_plan.amend(
                session,
                survey,
                [analysis_plan.Setting(field(form, "setting"), field(form, "value"))],
                reason=field(form, "reason"),
                actor=facilitator.email,
            )
    except DomainError as exc:
        return plan_page(request, session, survey, facilitator, exc)
    return done(
        request,
        N_("The plan is amended; every report lists the change."),
        "console_plan",
        key=survey.key,
    )
