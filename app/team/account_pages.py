"""Password pages: set one through an emailed link, ask for a reset, change one's own.

An emailed link (``/console/password?token=...``) is exchanged on first sight for the
session and a redirect to the same page without the token, so the token leaves the
address bar, the history and any later ``Referer`` at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, status
from fastapi.responses import RedirectResponse, Response

from app.console import auth
from app.console.auth import CurrentFacilitator, Public
from app.console.pages import Csrf, console_router, console_text, done, render
from app.errors import DomainError, Invalid
from app.i18n import N_
from app.team import passwords
from app.web.sessions import SessionDep
from app.web.urls import path_for

router = console_router()

TOKEN_KEY = "password_token"
MAX_TOKEN_LENGTH = 100
MAX_EMAIL_ECHO = 320
SENT = N_(
    "If an account has this address, a link to set a new password is on its way to it. "
    "The link works once, for one hour."
)


def _not_valid(request: Request) -> Response:
    request.session.pop(TOKEN_KEY, None)
    error = passwords.LinkNotValid()
    return render(request, "link_invalid.html", {}, error=error)


@router.get("/password", name="console_password_form", dependencies=[Public])
def password_form(request: Request, session: SessionDep, token: str = "") -> Response:
    """The form to set a password, for whoever holds a live link."""
    if token:
        request.session[TOKEN_KEY] = token[:MAX_TOKEN_LENGTH]
        target = path_for(request, "console_password_form")
        return RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    held = request.session.get(TOKEN_KEY)
    try:
        if not isinstance(held, str):
            raise passwords.LinkNotValid()
        row = passwords.check(session, held)
    except passwords.LinkNotValid:
        return _not_valid(request)
    return render(request, "password_set.html", {"purpose": row.purpose.value})


@router.post("/password", name="console_password_set", dependencies=[Public])
def password_set(
    request: Request,
    session: SessionDep,
    _: Csrf,
    password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Set the password of the link's account; it can then sign in."""
    held = request.session.get(TOKEN_KEY)
    try:
        if not isinstance(held, str):
            raise passwords.LinkNotValid()
        with session.begin_nested():
            passwords.redeem(session, held, password, confirm)
    except passwords.LinkNotValid:
        return _not_valid(request)
    except Invalid as exc:
        row = passwords.check(session, str(held))
        return render(
            request,
            "password_set.html",
            {"purpose": row.purpose.value},
            error=exc,
        )
    request.session.pop(TOKEN_KEY, None)
    message = console_text(request, N_("Your password is set. Sign in with it."))
    return done(request, message, "console_login_form")


@router.get("/forgot", name="console_forgot_form", dependencies=[Public])
def forgot_form(request: Request) -> Response:
    """Ask for a link to set a new password."""
    return render(request, "forgot.html", {"email": ""})


@router.post("/forgot", name="console_forgot", dependencies=[Public])
def forgot(
    request: Request, session: SessionDep, _: Csrf, email: Annotated[str, Form()] = ""
) -> Response:
    """Mail a reset link if an account has the address; the answer is the same either way."""
    passwords.request_reset(session, email)
    return render(
        request,
        "forgot.html",
        {"email": email[:MAX_EMAIL_ECHO], "sent": console_text(request, SENT)},
    )


@router.get("/account/password", name="console_change_password_form")
def change_form(request: Request, facilitator: CurrentFacilitator) -> Response:
    """The form to change one's own password."""
    return render(request, "password_change.html", {}, facilitator=facilitator)


@router.post("/account/password", name="console_change_password")
def change(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    current: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Change one's own password; every other session of the account ends."""
    try:
        with session.begin_nested():
            passwords.change(session, facilitator, current, password, confirm)
    except DomainError as exc:
        return render(
            request,
            "password_change.html",
            {},
            facilitator=facilitator,
            error=exc,
        )
    # This session carries the old version: bring it along, so only the others end.
    request.session[auth.VERSION_KEY] = facilitator.session_version
    message = console_text(request, N_("Your password is changed; your other sessions have ended."))
    return done(request, message, "console_home")
