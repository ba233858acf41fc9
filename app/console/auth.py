"""Facilitator sign-in: a signed session cookie holding the account id."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request, status
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from app.audit import record
from app.console import accounts
from app.db import SessionDep
from app.models import Facilitator
from app.web.csrf import csrf_token

SESSION_KEY = "facilitator_id"


def login(request: Request, session: Session, email: str, password: str) -> Facilitator | None:
    """Check the credentials; on success start a fresh session for the account."""
    facilitator = accounts.authenticate(session, email, password)
    if facilitator is None:
        return None
    # A new session on every sign-in, so nothing planted before it (fixation) survives.
    request.session.clear()
    request.session[SESSION_KEY] = facilitator.id
    csrf_token(request)
    record(session, facilitator.email, "facilitator.login", None, facilitator_id=facilitator.id)
    return facilitator


def logout(request: Request, session: Session, facilitator: Facilitator) -> None:
    """Record the sign-out and forget everything the session held."""
    record(session, facilitator.email, "facilitator.logout", None, facilitator_id=facilitator.id)
    request.session.clear()


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a console path on this site, else ``None`` (no open redirects)."""
    if target and target.startswith("/console") and "//" not in target and "\\" not in target:
        return target
    return None


def signed_in(request: Request, session: Session) -> Facilitator | None:
    """The facilitator this session belongs to, if any (a deleted account counts as none)."""
    facilitator_id = request.session.get(SESSION_KEY)
    return session.get(Facilitator, facilitator_id) if isinstance(facilitator_id, int) else None


class LoginRequired(Exception):
    """Raised by :func:`current_facilitator`; console routes answer it with a redirect."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class ConsoleRoute(APIRoute):
    """A route that sends a visitor who is not signed in to the sign-in page.

    Done here rather than with an app-wide exception handler: a redirect is the
    console's answer, not an error page.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return RedirectResponse(exc.location, status.HTTP_303_SEE_OTHER)

        return handle


def current_facilitator(request: Request, session: SessionDep) -> Facilitator:
    """The signed-in facilitator; anyone else is sent to the sign-in page."""
    facilitator = signed_in(request, session)
    if facilitator is None:
        request.session.pop(SESSION_KEY, None)
        location = str(request.url_for("console_login_form"))
        if request.method == "GET":
            location += "?" + urlencode({"next": request.url.path})
        raise LoginRequired(location)
    return facilitator


CurrentFacilitator = Annotated[Facilitator, Depends(current_facilitator)]
