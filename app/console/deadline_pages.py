"""Console action on an open round's deadline: move it later (panelists are told by mail)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from app.console.auth import CurrentFacilitator
from app.console.pages import Csrf, Study, StudyRound, console_router, done, study_page
from app.errors import N_, DomainError, Invalid, N_plural
from app.rounds import deadlines
from app.schedule.plan import as_utc
from app.web.sessions import SessionDep

router = console_router()


@router.post("/studies/{key}/rounds/{number}/deadline", name="console_extend")
def extend(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    round_: StudyRound,
    deadline: Annotated[str, Form()] = "",
) -> Response:
    """Move the open round's deadline later; every invited panelist is told by mail."""
    try:
        with session.begin_nested():
            when = deadlines.parse(deadline)
            if when is None:
                raise Invalid(N_("deadline: give the new deadline"))
            told = deadlines.extend(session, survey, round_, when, actor=facilitator.email)
    except DomainError as exc:
        return study_page(request, session, survey, facilitator, exc)
    return done(
        request,
        N_plural(
            "Round %(number)s now closes at %(moment)s UTC; %(count)s panelist will be told "
            "by email.",
            "Round %(number)s now closes at %(moment)s UTC; %(count)s panelists will be told "
            "by email.",
        ),
        "console_study",
        say={"number": round_.number, "moment": f"{as_utc(when):%Y-%m-%d %H:%M}", "count": told},
        key=survey.key,
    )
