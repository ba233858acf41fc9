"""Security headers on every response: pages, errors, forced 500s, static files, JSON.

:class:`SecurityHeaders` is pure ASGI and wraps the whole application, Starlette's
``ServerErrorMiddleware`` included, so even the answer to an unhandled exception carries
the headers (a ``@app.middleware("http")`` function sits inside that middleware and never
sees it). A header a route set itself is kept.

Pages have no inline script or style, so the policy needs no ``'unsafe-inline'``. The two
API documentation pages are the exception: Swagger UI and ReDoc are third-party bundles
that write inline styles, start from a small inline script and (ReDoc) run a worker from a
``blob:`` URL. Their policy allows exactly that and no more: every asset from this site,
and only the inline scripts the page itself holds, by hash.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_COMMON = (
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
)
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        *_COMMON,
    )
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
HSTS = "max-age=31536000; includeSubDomains"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Pages never leak their URL (or a token in it) to another site.
    "Referrer-Policy": "no-referrer",
}
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.I | re.S)


def docs_policy(html: bytes) -> str:
    """The policy of an API documentation page, allowing the inline scripts in ``html``."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    ]
    return "; ".join(
        (
            "default-src 'self'",
            " ".join(("script-src 'self'", *hashes)),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            *_COMMON,
        )
    )


class SecurityHeaders:
    """Add the security headers (and HSTS when ``hsts``) to every HTTP response."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = {**HEADERS, **({"Strict-Transport-Security": HSTS} if hsts else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in DOCS_PATHS:
            await self._documentation(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add(message, CONTENT_SECURITY_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _add(self, start: Message, policy: str) -> None:
        headers = MutableHeaders(scope=start)
        headers.setdefault("Content-Security-Policy", policy)
        for name, value in self.headers.items():
            headers.setdefault(name, value)

    async def _documentation(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hold the (small) page until its last byte, then send it with its own policy."""
        # Uncompressed, so the scripts can be read; these pages are a few kilobytes.
        scope = {
            **scope,
            "headers": [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"],
        }
        start: Message = {}
        body: list[bytes] = []

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if not message.get("more_body", False):
                content = b"".join(body)
                self._add(start, docs_policy(content))
                await send(start)
                await send({"type": "http.response.body", "body": content})

        await self.app(scope, receive, hold)
