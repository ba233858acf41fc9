"""Facilitator sign-in: a signed session cookie that the account can revoke.

The session holds the account id, the account's ``session_version`` at sign-in and the
sign-in time. Signing out bumps the version, so every copy of the cookie stops working
at once; a session also ends, whatever happens, ``SESSION_LIFETIME`` after sign-in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request, params, status
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from app.audit import record
from app.console import accounts, throttle
from app.errors import Invalid
from app.mail.addresses import normalize_email
from app.models import Facilitator, Role
from app.models.base import utcnow
from app.team import access
from app.web import ratelimit
from app.web.csrf import csrf_token
from app.web.sessions import SessionDep
from app.web.urls import path_for

SESSION_KEY = "facilitator_id"
VERSION_KEY = "facilitator_version"
SIGNED_IN_KEY = "facilitator_signed_in"
SESSION_KEYS = (SESSION_KEY, VERSION_KEY, SIGNED_IN_KEY)
SESSION_LIFETIME = dt.timedelta(hours=12)
FAILED = "login.failed"
MAX_NEXT_LENGTH = 2000

# Every console response shows study data to one signed-in person: never cache it.
PRIVATE_HEADERS = {"Cache-Control": "no-store"}


def login(request: Request, session: Session, email: str, password: str) -> Facilitator | None:
    """Check the credentials; on success start a fresh session for the account.

    Raises :class:`throttle.TooManyFailures` while this address or the email is
    throttled, whether or not an account has the email. Input that is not an email
    address cannot match an account; it fails like a wrong password and is not counted.
    """
    try:
        key = normalize_email(email)
    except Invalid:
        accounts.authenticate(session, email, password)  # as slow as any other failure
        return None
    counters = throttle.SignInThrottle(
        ratelimit.of(request), ratelimit.client_address(request.scope), key
    )
    counters.admit()  # before the deliberately slow hash
    facilitator = accounts.authenticate(session, email, password)
    if facilitator is None:
        counters.failed()
        # Kept as a record for the operator; the counting is the throttle's.
        record(session, key, FAILED, None)
        return None
    counters.succeeded()
    # A new session on every sign-in, so nothing planted before it (fixation) survives.
    request.session.clear()
    request.session[SESSION_KEY] = facilitator.id
    request.session[VERSION_KEY] = facilitator.session_version
    request.session[SIGNED_IN_KEY] = int(utcnow().timestamp())
    csrf_token(request)
    record(session, facilitator.email, "facilitator.login", None, facilitator_id=facilitator.id)
    return facilitator


def logout(request: Request, session: Session, facilitator: Facilitator) -> None:
    """End every session of the account (copies of the cookie too) and record it."""
    # Incremented in SQL, so two sign-outs in different workers both count.
    facilitator.session_version = Facilitator.session_version + 1
    session.flush()
    record(session, facilitator.email, "facilitator.logout", None, facilitator_id=facilitator.id)
    request.session.clear()


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a console path on this site, else ``None`` (no open redirects)."""
    if (
        target
        and len(target) <= MAX_NEXT_LENGTH
        and target.startswith("/console")
        and target.isprintable()
        and "//" not in target
        and "\\" not in target
    ):
        return target
    return None


def signed_in(request: Request, session: Session) -> Facilitator | None:
    """The facilitator this session belongs to, if the session is still valid.

    Not valid: no sign-in, a deleted account, a session older than ``SESSION_LIFETIME``,
    or one from before the account last signed out.
    """
    facilitator_id, version, since = (request.session.get(key) for key in SESSION_KEYS)
    if not (
        isinstance(facilitator_id, int) and isinstance(version, int) and isinstance(since, int)
    ):
        return None
    if utcnow().timestamp() - since >= SESSION_LIFETIME.total_seconds():
        return None
    facilitator = session.get(Facilitator, facilitator_id)
    if facilitator is None or facilitator.session_version != version:
        return None
    return facilitator


class LoginRequired(Exception):
    """Raised by :func:`current_facilitator`; console routes answer it with a redirect."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class ConsoleRoute(APIRoute):
    """A console route: signed-in accounts only, each with its role in the study checked.

    Every route gets :func:`by_method` unless it declares another guard among its
    dependencies (:data:`Public`, :data:`OwnerOnly`), so a route added later is checked
    without anyone remembering to. A visitor who is not signed in is sent to the sign-in
    page; that is done here rather than with an app-wide exception handler, since a
    redirect is the console's answer, not an error page. Its responses are never cached
    (errors raised past it get the same header from the app-wide handlers).
    """

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        dependencies: Sequence[params.Depends] | None = None,
        **kwargs: Any,
    ) -> None:
        declared = [d for d in dependencies or () if d.dependency in GUARDS]
        if any(d.dependency is owner_only for d in declared) and "{key}" not in path:
            raise TypeError(f"{path}: an owner-only route needs the study's {{key}} in its path")
        guards = [] if declared else [Depends(by_method)]
        super().__init__(path, endpoint, dependencies=[*guards, *(dependencies or ())], **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired as exc:
                response = RedirectResponse(exc.location, status.HTTP_303_SEE_OTHER)
            response.headers.update(PRIVATE_HEADERS)
            return response

        return handle


def current_facilitator(request: Request, session: SessionDep) -> Facilitator:
    """The signed-in facilitator; anyone else is sent to the sign-in page."""
    facilitator = signed_in(request, session)
    if facilitator is None:
        for key in SESSION_KEYS:
            request.session.pop(key, None)
        location = path_for(request, "console_login_form")
        if request.method == "GET":
            location += "?" + urlencode({"next": request.url.path})
        raise LoginRequired(location)
    return facilitator


CurrentFacilitator = Annotated[Facilitator, Depends(current_facilitator)]


def by_method(request: Request, session: SessionDep, facilitator: CurrentFacilitator) -> None:
    """The default guard: signed in and, under ``/studies/{key}``, a role in that study.

    Reading needs any role (observer and up); any other method needs facilitator or
    owner. The role is kept on ``request.state.role`` for the page to use.
    """
    key = request.path_params.get("key")
    if key is not None:
        needed = access.needed_for(request.method)
        request.state.role = access.require(session, facilitator, key, needed)


def owner_only(request: Request, session: SessionDep, facilitator: CurrentFacilitator) -> None:
    """The guard of the team and API-key pages: the study's owners only, for every method."""
    key = request.path_params["key"]
    request.state.role = access.require(session, facilitator, key, Role.OWNER)


def public() -> None:
    """The guard of the pages for visitors who are not signed in: none.

    Sign-in and the password links; whoever reaches them proves nothing yet.
    """


Public = Depends(public)
OwnerOnly = Depends(owner_only)
GUARDS = (by_method, owner_only, public)
