"""Console pages for the outbox: what each round's mail is doing, and retrying failures."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from app.console.auth import CurrentFacilitator
from app.console.pages import Csrf, Study, StudyRound, console_router, done, render
from app.errors import DomainError, N_plural
from app.mail import status
from app.rounds import invitations, repository
from app.web.sessions import SessionDep

router = console_router()


def mail_page(
    request: Request,
    session: SessionDep,
    survey: Study,
    facilitator: CurrentFacilitator,
    error: DomainError | None = None,
) -> Response:
    all_rounds = repository.rounds_of(session, survey)
    mail = status.for_rounds(session, [r.id for r in all_rounds])
    return render(
        request,
        "mail.html",
        {"survey": survey, "rounds": [(r, mail[r.id]) for r in all_rounds]},
        facilitator=facilitator,
        error=error,
    )


@router.get("/studies/{key}/mail", name="console_mail")
def mail(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """Queued, sending, sent, failed and cancelled mail per round (counts only)."""
    return mail_page(request, session, survey, facilitator)


@router.post("/studies/{key}/rounds/{number}/mail/retry", name="console_mail_retry")
def retry(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    round_: StudyRound,
) -> Response:
    """Send the round's failed mail again, with fresh links."""
    try:
        with session.begin_nested():
            count = invitations.retry_failed(session, survey, round_, actor=facilitator.email)
    except DomainError as exc:
        return mail_page(request, session, survey, facilitator, exc)
    return done(
        request,
        N_plural(
            "%(count)s failed email of round %(number)s queued again.",
            "%(count)s failed emails of round %(number)s queued again.",
        ),
        "console_mail",
        say={"count": count, "number": round_.number},
        key=survey.key,
    )
