"""Console pages for the reasons of a closed round: one statement's reasons by band, hiding
and restoring a reason, and the argument strength of the round's reasons."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.console.auth import CurrentFacilitator
from app.console.forms import PostedForm, field
from app.console.pages import Csrf, Study, StudyRound, console_router, done, render
from app.errors import DomainError
from app.i18n import N_
from app.models import Facilitator, Round, Statement, Survey
from app.reasons import reading, service, strength
from app.statements import service as statements
from app.web.sessions import SessionDep

router = console_router()

StatementId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A statement's id.")]
ReasonId = Annotated[int, Path(ge=1, le=2**53, description="A reason's id.")]
Bands = Annotated[Literal["range", "scale"], Query(description="Which bands group the reasons.")]
Group = Annotated[str | None, Query(max_length=80, description="A stakeholder group's key.")]


def reasons_page(
    request: Request,
    session: Session,
    survey: Survey,
    round_: Round,
    statement: Statement,
    facilitator: Facilitator,
    *,
    bands: Literal["range", "scale"] = "range",
    group: str | None = None,
    error: DomainError | None = None,
) -> Response:
    try:
        view = reading.statement_reasons(
            session, survey, round_, statement, kind=bands, group=group
        )
    except DomainError as exc:
        if group is None:
            raise
        error = exc
        view = reading.statement_reasons(session, survey, round_, statement, kind=bands)
    return render(
        request,
        "reasons.html",
        {
            "survey": survey,
            "round": round_,
            "view": view,
            "causes": service.CAUSE_LABELS,
        },
        facilitator=facilitator,
        error=error,
    )


@router.get(
    "/studies/{key}/rounds/{number}/statements/{statement_id}/reasons",
    name="console_statement_reasons",
)
def statement_reasons(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    survey: Study,
    round_: StudyRound,
    statement_id: StatementId,
    bands: Bands = "range",
    group: Group = None,
) -> Response:
    """Every reason given on one statement in a closed round, by band, hidden ones marked."""
    found = statements.get_or_raise(session, survey, statement_id)
    return reasons_page(
        request, session, survey, round_, found, facilitator, bands=bands, group=group or None
    )


def _moderate(
    request: Request,
    session: Session,
    survey: Survey,
    round_: Round,
    reason_id: int,
    facilitator: Facilitator,
    form: PostedForm,
    *,
    hide: bool,
) -> Response:
    reason = service.get_or_raise(session, survey, round_, reason_id)
    statement = statements.get_or_raise(session, survey, reason.statement_id)
    try:
        with session.begin_nested():
            if hide:
                cause = service.parse_cause(field(form, "cause"))
                service.hide(session, survey, round_, reason, cause, actor=facilitator.email)
            else:
                service.restore(session, survey, round_, reason, actor=facilitator.email)
    except DomainError as exc:
        return reasons_page(request, session, survey, round_, statement, facilitator, error=exc)
    return done(
        request,
        N_("The reason is hidden from panelists and exports.")
        if hide
        else N_("The reason is shown again."),
        "console_statement_reasons",
        key=survey.key,
        number=round_.number,
        statement_id=statement.id,
    )


@router.post("/studies/{key}/rounds/{number}/reasons/{reason_id}/hide", name="console_reason_hide")
def hide(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    round_: StudyRound,
    reason_id: ReasonId,
    form: PostedForm,
) -> Response:
    """Hide a reason from panelists and exports, with its cause; nothing is deleted."""
    return _moderate(request, session, survey, round_, reason_id, facilitator, form, hide=True)


@router.post(
    "/studies/{key}/rounds/{number}/reasons/{reason_id}/restore", name="console_reason_restore"
)
def restore(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    round_: StudyRound,
    reason_id: ReasonId,
    form: PostedForm,
) -> Response:
    """Show a hidden reason again."""
    return _moderate(request, session, survey, round_, reason_id, facilitator, form, hide=False)


@router.get("/studies/{key}/rounds/{number}/arguments", name="console_arguments")
def arguments(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    survey: Study,
    round_: StudyRound,
) -> Response:
    """How often each reason of the round was shown and marked persuasive in the next, and
    which preceded the largest rating changes."""
    service.snapshot_or_raise(session, survey, round_)
    return render(
        request,
        "arguments.html",
        {
            "survey": survey,
            "round": round_,
            "strength": strength.argument_strength(session, survey, round_),
            "statements": {s.id: s for s in statements.every_version(session, survey)},
        },
        facilitator=facilitator,
    )
