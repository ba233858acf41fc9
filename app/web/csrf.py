"""CSRF protection: a per-session secret that every state-changing form echoes back.

The session itself is Starlette's signed cookie (itsdangerous), so the token is bound to
it; a forged cross-site POST cannot read the token and a GET never changes state.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Form, Request

from app.errors import DomainError
from app.security import constant_time_equal

SESSION_KEY = "csrf"


class CsrfError(DomainError):
    status = 403


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return str(token)


def verify_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Dependency for POST handlers: reject a form without this session's token."""
    expected = request.session.get(SESSION_KEY)
    if not expected or not csrf_token or not constant_time_equal(str(expected), csrf_token):
        raise CsrfError(
            "This form has expired or did not come from this site. "
            "Go back, reload the page and try again; your saved answers are kept."
        )


CsrfProtected = Depends(verify_csrf)
