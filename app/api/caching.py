"""Validators for closed-round resources: an ETag, Cache-Control, and 304 on a match.

A closed round's snapshot and ratings never change, so those answers may be kept by the
analyst's client for good (``immutable``); anything with reasons in it can still change
when a facilitator hides one, so it is revalidated on every use (``no-cache``) and the
ETag, a hash of the content, answers 304 while nothing has changed. ``private``: every
answer needs an API key, so no shared cache may keep it.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, status
from fastapi.responses import Response

IMMUTABLE = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"


def etag_of(content: bytes | str) -> str:
    """A weak ETag (the body may be compressed on the way) naming ``content``."""
    data = content.encode() if isinstance(content, str) else content
    return f'W/"{hashlib.sha256(data).hexdigest()[:32]}"'


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110, 13.1.2): W/ prefixes do not matter.
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def respond(
    request: Request,
    body: bytes | str,
    media_type: str,
    *,
    immutable: bool,
    etag: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """``body`` with its validators, or 304 Not Modified if the client holds it already.

    ``etag`` defaults to a hash of ``body``; give one where the body's bytes vary for the
    same content (an XLSX file records when it was written).
    """
    tag = etag or etag_of(body)
    validators = {"ETag": tag, "Cache-Control": IMMUTABLE if immutable else REVALIDATE}
    if _matches(request, tag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=validators)
    return Response(body, media_type=media_type, headers={**(headers or {}), **validators})
