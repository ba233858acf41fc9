"""The facilitator console: HTML pages that work without JavaScript.

Every POST carries the session's CSRF token; a GET never changes state. Failed
actions re-render the page with the reason, after rolling back their savepoint, so
nothing half-done is committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import i18n
from app.console import auth, report, service
from app.console.auth import CurrentFacilitator
from app.console.throttle import TooManyFailures
from app.errors import DomainError, N_plural, NotFound, Plural, Say
from app.exports import service as exports
from app.i18n import N_
from app.models import Facilitator, Role, Round, RoundState, Survey
from app.panel import roster
from app.rounds import progress, repository
from app.rounds import service as rounds
from app.studies import service as studies
from app.team import service as team
from app.web.csrf import CsrfProtected, csrf_token
from app.web.sessions import SessionDep, TransactionsDep, own_transactions
from app.web.templating import templates
from app.web.urls import path_for


def console_router() -> APIRouter:
    """A router for console pages: each route signed-in and role-checked
    (:class:`~app.console.auth.ConsoleRoute`), HTML by default, none in the API schema."""
    return APIRouter(
        prefix="/console",
        include_in_schema=False,
        default_response_class=HTMLResponse,
        route_class=auth.ConsoleRoute,
    )


router = console_router()

Csrf = Annotated[None, CsrfProtected]
LOGIN_FAILED = N_("The email or password is wrong.")
FLASH_KEY = "console_flash"
# Study keys are at most 80 characters (the column and the study schema say so).
MAX_KEY_LENGTH = 80
# Far above any real study, far below the integer overflow a huge number would cause.
MAX_ROUND_NUMBER = 10_000
MAX_EMAIL_ECHO = 320

RoundNumber = Annotated[
    int,
    Path(ge=0, le=MAX_ROUND_NUMBER, description="The round number (0 for a round of proposals)."),
]


def study_or_404(key: str, session: SessionDep) -> Survey:
    """The study named in the path, or a 404 page."""
    # No study has such a key; PostgreSQL would refuse the NUL outright.
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise NotFound(N_("There is no study at this address."))
    return studies.get_by_key_or_raise(session, key)


Study = Annotated[Survey, Depends(study_or_404)]


def round_or_404(survey: Study, number: RoundNumber, session: SessionDep) -> Round:
    """The study's round named in the path, or a 404 page."""
    return rounds.get_or_raise(session, survey, number)


StudyRound = Annotated[Round, Depends(round_or_404)]


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    facilitator: Facilitator | None = None,
    error: DomainError | None = None,
    status_code: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A console page with the CSRF token, the signed-in facilitator and any flash message,
    in the language the facilitator's browser asks for.

    ``error`` is the reason a failed action gives, shown above the page; the page then
    answers with its status unless ``status_code`` says otherwise.
    """
    if status_code is None:
        status_code = error.status if error else status.HTTP_200_OK
    language = console_language(request)
    with i18n.use_language(language):
        return templates.TemplateResponse(
            request,
            f"facilitator/{template}",
            {
                "lang": language,
                "csrf_token": csrf_token(request),
                "facilitator": facilitator,
                "flash": _flash(request.session.pop(FLASH_KEY, None)),
                "error": error,
                **context,
            },
            status_code=status_code,
            headers=headers,
        )


def console_language(request: Request) -> str:
    """The language the console's pages are shown in: the browser's preference."""
    return i18n.request_language(None, request.headers.get("accept-language"))


def console_text(request: Request, message: str | Plural, **params: object) -> str:
    """``message`` (marked with ``N_`` or ``N_plural``) in the language the console pages are
    shown in, so a flash message reads like the page it appears on."""
    with i18n.use_language(console_language(request)):
        return Say(message, params).text()


def done(
    request: Request,
    message: str | Plural,
    route: str,
    *,
    say: Mapping[str, str | int] | None = None,
    **params: Any,
) -> Response:
    """Post/redirect/get: the message shows once on the page redirected to.

    ``message`` is marked with ``N_`` (or ``N_plural``) and kept untranslated with its
    placeholders ``say``, so the page shows it in the language that page is rendered in.
    """
    # The session is JSON: a plural message is kept as the list of its forms and count.
    kept = (
        [message.singular, message.plural, message.count]
        if isinstance(message, Plural)
        else message
    )
    request.session[FLASH_KEY] = [kept, dict(say or {})]
    return RedirectResponse(path_for(request, route, **params), status.HTTP_303_SEE_OTHER)


def _flash(stored: object) -> str | None:
    """The flash message left by :func:`done`, in the current language."""
    if isinstance(stored, list) and len(stored) == 2:
        message, params = stored
        template = Plural(*map(str, message)) if isinstance(message, list) else str(message)
        return Say(template, params).text()
    return i18n.translate(stored) if isinstance(stored, str) else None


def _read(upload: UploadFile | None) -> bytes:
    # One byte past the limit is enough to tell that a file is too large.
    return upload.file.read(service.MAX_UPLOAD_BYTES + 1) if upload else b""


def _filename(upload: UploadFile | None, default: str) -> str:
    return service.display_filename(upload.filename if upload else None, default)


def study_page(
    request: Request,
    session: Session,
    survey: Survey,
    facilitator: Facilitator,
    error: DomainError | None = None,
) -> Response:
    """The study page, with the reason a failed action gives (and its status)."""
    return render(
        request,
        "study.html",
        {"view": service.study_view(session, survey)},
        facilitator=facilitator,
        error=error,
    )


def panel_view(
    request: Request,
    session: Session,
    survey: Survey,
    facilitator: Facilitator,
    error: DomainError | None = None,
) -> Response:
    """The panel page, with the reason a failed upload gives (and its status)."""
    return render(
        request,
        "panel.html",
        {"survey": survey, "entries": roster.entries(session, survey)},
        facilitator=facilitator,
        error=error,
    )


@router.get("/login", name="console_login_form", dependencies=[auth.Public])
def login_form(request: Request, session: SessionDep, next: str = "") -> Response:
    """The sign-in form (or the studies list for someone already signed in)."""
    if auth.signed_in(request, session) is not None:
        return RedirectResponse(path_for(request, "console_home"), status.HTTP_303_SEE_OTHER)
    return render(request, "login.html", {"next": auth.safe_next(next) or "", "email": ""})


@router.post("/login", name="console_login", dependencies=[auth.Public])
def login(
    request: Request,
    session: SessionDep,
    _: Csrf,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the credentials; one generic message for every failure, 429 while throttled."""

    def again(message: str, status_code: int, headers: dict[str, str] | None = None) -> Response:
        context = {"next": auth.safe_next(next) or "", "email": email[:MAX_EMAIL_ECHO]}
        return render(
            request,
            "login.html",
            {**context, "login_error": message},
            status_code=status_code,
            headers=headers,
        )

    try:
        facilitator = auth.login(request, session, email, password)
    except TooManyFailures as exc:
        return again(exc.message, exc.status, {"Retry-After": str(exc.retry_after)})
    if facilitator is None:
        return again(Say(LOGIN_FAILED), status.HTTP_401_UNAUTHORIZED)
    target = auth.safe_next(next) or path_for(request, "console_home")
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


@router.post("/logout", name="console_logout")
def logout(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, _: Csrf
) -> Response:
    """End the session."""
    auth.logout(request, session, facilitator)
    return done(request, N_("You are signed out."), "console_login_form")


@router.get("", name="console_home")
def home(request: Request, session: SessionDep, facilitator: CurrentFacilitator) -> Response:
    """The studies this account is on the team of, with their rounds and response rates."""
    mine = team.roles_of(session, facilitator)
    return render(
        request,
        "studies.html",
        {"studies": service.overview(session, mine), "roles": mine},
        facilitator=facilitator,
    )


@router.get("/import-study", name="console_import_form")
def import_form(request: Request, facilitator: CurrentFacilitator) -> Response:
    """The upload form for a study definition (YAML)."""
    return render(request, "import.html", {}, facilitator=facilitator)


@router.post("/import-study", name="console_import_study")
def import_study(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import an uploaded study file; every problem is listed, nothing is written."""
    try:
        with session.begin_nested():
            survey = service.import_study(
                session, _read(file), _filename(file, "study.yaml"), actor=facilitator.email
            )
            team.add(session, survey, facilitator, Role.OWNER, actor=facilitator.email)
    except DomainError as exc:
        return render(request, "import.html", {}, facilitator=facilitator, error=exc)
    return done(
        request,
        N_("Study %(key)s imported."),
        "console_study",
        say={"key": survey.key},
        key=survey.key,
    )


@router.get("/studies/{key}", name="console_study")
def study(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """The study: panel composition, rounds with their response rates, next steps."""
    return study_page(request, session, survey, facilitator)


@router.get("/studies/{key}/panel", name="console_panel")
def panel_page(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """Who is invited (invitation data only, never who answered) and the CSV upload."""
    return panel_view(request, session, survey, facilitator)


@router.post("/studies/{key}/panel", name="console_import_panel")
def import_panel(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Add the panelists of an uploaded CSV: all rows or none."""
    try:
        with session.begin_nested():
            added = service.import_panel(
                session,
                survey,
                _read(file),
                _filename(file, "panel.csv"),
                actor=facilitator.email,
            )
    except DomainError as exc:
        return panel_view(request, session, survey, facilitator, exc)
    return done(
        request,
        N_plural("%(count)s panelist added.", "%(count)s panelists added."),
        "console_panel",
        say={"count": added},
        key=survey.key,
    )


@router.post("/studies/{key}/rounds", name="console_launch")
def launch(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    deadline: Annotated[str, Form()] = "",
    proposals_only: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Launch the next round (or round 0, of proposals); invitations are queued in the same
    transaction."""
    try:
        with session.begin_nested():
            round_ = rounds.launch(
                session,
                survey,
                deadline=service.parse_deadline(deadline),
                actor=facilitator.email,
                proposals_only=proposals_only == "yes",
            )
            invited = rounds.status(session, round_).invited
    except DomainError as exc:
        return study_page(request, session, survey, facilitator, exc)
    return done(
        request,
        N_plural(
            "Round %(number)s launched: %(count)s invitation is queued.",
            "Round %(number)s launched: %(count)s invitations are queued.",
        ),
        "console_study",
        say={"number": round_.number, "count": invited},
        key=survey.key,
    )


@router.post("/studies/{key}/rounds/{number}/remind", name="console_remind")
def remind(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    round_: StudyRound,
) -> Response:
    """Queue reminders to panelists who have not submitted yet."""
    try:
        with session.begin_nested():
            count = rounds.remind(session, survey, round_, actor=facilitator.email)
    except DomainError as exc:
        return study_page(request, session, survey, facilitator, exc)
    return done(
        request,
        N_plural(
            "Reminder queued for %(count)s panelist who has not submitted.",
            "Reminders queued for %(count)s panelists who have not submitted.",
        ),
        "console_study",
        say={"count": count},
        key=survey.key,
    )


@router.get("/studies/{key}/rounds/{number}/close", name="console_close_confirm")
def close_confirm(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    survey: Study,
    round_: StudyRound,
) -> Response:
    """Ask before closing: closing is final and computes the report."""
    return render(
        request,
        "close.html",
        {"survey": survey, "status": rounds.status(session, round_)},
        facilitator=facilitator,
    )


@router.post("/studies/{key}/rounds/{number}/close", name="console_close")
@own_transactions
def close(
    request: Request,
    session: SessionDep,
    transactions: TransactionsDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    round_: StudyRound,
) -> Response:
    """Close the round and compute its report, without making panelists wait for it."""
    try:
        snapshot = rounds.close_promptly(
            transactions, survey.id, round_.number, actor=facilitator.email
        )
    except DomainError as exc:
        return study_page(request, session, survey, facilitator, exc)
    return done(
        request,
        N_plural(
            "Round %(number)s closed: %(responded)s of %(invited)s panelist submitted.",
            "Round %(number)s closed: %(responded)s of %(invited)s panelists submitted.",
            "invited",
        ),
        "console_round",
        say={
            "number": round_.number,
            "responded": snapshot.responded,
            "invited": snapshot.invited,
        },
        key=survey.key,
        number=round_.number,
    )


@router.post("/studies/{key}/rounds/{number}/complete", name="console_complete")
@own_transactions
def complete(
    request: Request,
    session: SessionDep,
    transactions: TransactionsDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    round_: StudyRound,
) -> Response:
    """Compute the results of a round whose close stopped halfway."""
    try:
        rounds.complete(transactions, survey.id, round_.number)
    except DomainError as exc:
        return study_page(request, session, survey, facilitator, exc)
    return done(
        request,
        N_("The results of round %(number)s are computed."),
        "console_round",
        say={"number": round_.number},
        key=survey.key,
        number=round_.number,
    )


@router.get("/studies/{key}/finish", name="console_finish_confirm")
def finish_confirm(request: Request, facilitator: CurrentFacilitator, survey: Study) -> Response:
    """Ask before finishing: no round can be launched afterwards."""
    return render(request, "finish.html", {"survey": survey}, facilitator=facilitator)


@router.post("/studies/{key}/finish", name="console_finish")
def finish(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
) -> Response:
    """Mark the study finished."""
    try:
        with session.begin_nested():
            told = rounds.finish(session, survey, actor=facilitator.email)
    except DomainError as exc:
        return study_page(request, session, survey, facilitator, exc)
    return done(
        request,
        N_plural(
            "The study is finished. %(count)s panelist will get its results by email.",
            "The study is finished. %(count)s panelists will get its results by email.",
        ),
        "console_study",
        say={"count": told},
        key=survey.key,
    )


@router.get("/studies/{key}/rounds/{number}", name="console_round")
def round_page(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    survey: Study,
    round_: StudyRound,
) -> Response:
    """An open round's progress, or a closed round's report."""
    closed = round_.state == RoundState.CLOSED
    snapshot = repository.snapshot_of(session, round_) if closed else None
    built = report.build(session, survey, round_, snapshot) if snapshot else None
    charts = None
    if built:
        # The charts' texts (titles, quadrants, table cells) are written while they are drawn.
        with i18n.use_language(console_language(request)):
            charts = report.charts(survey, built)
    return render(
        request,
        "round.html",
        {
            "survey": survey,
            "status": rounds.status(session, round_),
            "groups": progress.by_group(session, survey, round_),
            "report": built,
            "charts": charts,
            "reasons": report.reasons(session, survey, round_) if snapshot else None,
            "export_tables": exports.names(),
        },
        facilitator=facilitator,
    )
