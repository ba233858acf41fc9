"""CSRF protection: a per-session secret that every state-changing form echoes back.

The session itself is Starlette's signed cookie (itsdangerous), so the secret is bound to
it; a forged cross-site POST cannot read the token and a GET never changes state.

Pages are gzip-compressed next to values the visitor chose (a sign-in ``next``, a typed
email), so a secret repeated verbatim in every page could be recovered byte by byte from
response sizes (BREACH). Each page therefore gets the secret masked with a fresh random
pad: ``base64(pad || secret XOR pad)``. Every rendering differs; all of them unmask to the
session's secret.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request

from app.errors import DomainError
from app.i18n import N_

SESSION_KEY = "csrf"
SECRET_BYTES = 32
# Longer than any token csrf_token() hands out; anything longer is refused unread.
MAX_TOKEN_LENGTH = 256


class CsrfError(DomainError):
    status = 403


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def _secret(request: Request) -> str:
    """The session's secret, created on first use."""
    secret = request.session.get(SESSION_KEY)
    if not isinstance(secret, str) or not secret:
        secret = secrets.token_urlsafe(SECRET_BYTES)
        request.session[SESSION_KEY] = secret
    return secret


def mask(secret: str) -> str:
    """``secret`` under a fresh one-time pad, URL-safe base64 without padding."""
    raw = secret.encode()
    pad = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(pad + _xor(raw, pad)).decode().rstrip("=")


def unmask(token: str) -> bytes | None:
    """The secret a masked token carries, or ``None`` if it is not shaped like one."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except binascii.Error:
        return None
    if not raw or len(raw) % 2:
        return None
    half = len(raw) // 2
    return _xor(raw[half:], raw[:half])


def csrf_token(request: Request) -> str:
    """A token for one page: the session's secret, masked afresh on every call."""
    return mask(_secret(request))


async def verify_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Dependency for POST handlers: reject a form without this session's token."""
    expected = request.session.get(SESSION_KEY)
    presented = unmask(csrf_token)
    if (
        not isinstance(expected, str)
        or not expected
        or presented is None
        or not hmac.compare_digest(expected.encode(), presented)
    ):
        raise CsrfError(
            N_(
                "This form has expired or did not come from this site. "
                "Go back, reload the page and try again; your saved answers are kept."
            )
        )


CsrfProtected = Depends(verify_csrf)
