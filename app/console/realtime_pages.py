"""Console pages of a real-time study: its mode, the live guard figures, checkpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from app.console.auth import CurrentFacilitator
from app.console.pages import Csrf, Study, console_router, done, render
from app.errors import DomainError, N_plural
from app.i18n import N_
from app.realtime import checkpoints, guard
from app.realtime import service as realtime
from app.rounds import repository
from app.web.sessions import SessionDep, TransactionsDep, own_transactions

router = console_router()


def _page(
    request: Request,
    session: SessionDep,
    survey: Study,
    facilitator: CurrentFacilitator,
    error: DomainError | None = None,
) -> Response:
    live = repository.open_round(session, survey) if survey.is_realtime else None
    return render(
        request,
        "live.html",
        {
            "survey": survey,
            "launched": repository.latest(session, survey) is not None,
            "live": live,
            "guard": guard.rows(session, survey, live) if live else [],
            "checkpoints": checkpoints.checkpoints_of(session, live) if live else [],
        },
        facilitator=facilitator,
        error=error,
    )


@router.get("/studies/{key}/live", name="console_live")
def show(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """The study's mode; for a real-time study its live guard figures and checkpoints."""
    return _page(request, session, survey, facilitator)


@router.post("/studies/{key}/mode", name="console_mode")
def set_mode(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    mode: Annotated[str, Form()] = "",
) -> Response:
    """Make the study real-time or round-based, before anything is launched."""
    try:
        with session.begin_nested():
            realtime.set_mode(session, survey, mode, actor=facilitator.email)
    except DomainError as exc:
        return _page(request, session, survey, facilitator, exc)
    message = (
        N_("The study now runs in real time.")
        if survey.is_realtime
        else N_("The study now runs in rounds.")
    )
    return done(request, message, "console_live", key=survey.key)


@router.post("/studies/{key}/checkpoint", name="console_checkpoint")
@own_transactions
def take_checkpoint(
    request: Request,
    session: SessionDep,
    transactions: TransactionsDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
) -> Response:
    """Freeze the answers as they stand into a checkpoint (a closed round with its report)."""
    try:
        snapshot = checkpoints.take(transactions, survey.id, actor=facilitator.email)
    except DomainError as exc:
        return _page(request, session, survey, facilitator, exc)
    return done(
        request,
        N_plural(
            "Checkpoint taken: the answers of %(responded)s panelist are frozen in its report.",
            "Checkpoint taken: the answers of %(responded)s panelists are frozen in its report.",
            "responded",
        ),
        "console_live",
        say={"responded": snapshot.responded},
        key=survey.key,
    )
