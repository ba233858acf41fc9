"""Admission: serve a bounded number of requests at once; refuse the rest politely.

Why: a request holds the database (SQLite's one write turn, or a pooled PostgreSQL
connection) across several thread-pool calls (its dependencies, the handler, the commit).
When more requests wait for the database than there are threads, the holder of the lock
can no longer get a thread to finish, and everyone waits for the lock timeout. Admitting
at most ``DELPHI_MAX_CONCURRENCY`` requests (no more than the connection pool, and the
thread pool is sized at twice that) keeps a thread and a connection free for every
admitted request, so each one finishes in the time its own work takes.

Panelists and everyone else (facilitators, analysts) queue in separate lanes: a
facilitator closing the round in the middle of the deadline rush is not stuck behind two
hundred submissions. The other lane has ``OTHER_LANE`` of the places.

Requests beyond the limit queue here, in the event loop, for at most
``DELPHI_ADMISSION_TIMEOUT`` seconds (first come, first served), then get 503 with
``Retry-After``. A panelist's refused questionnaire comes back as a page that holds
everything they sent, with a button to send it again: nothing typed is lost, and the
draft stored earlier is untouched.
"""

from __future__ import annotations

import asyncio
import re
import urllib.parse
import weakref
from collections.abc import Iterable

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app import i18n

RETRY_AFTER_SECONDS = 5
EXEMPT_PREFIXES = ("/static/", "/healthz")
PANELIST_PREFIXES = ("/r/", "/round")
OTHER_LANE = 4
# The questionnaire's own fields; anything else in a refused post is not echoed back.
_KEPT_FIELD = re.compile(r"(r-\d{1,18}-\d{1,18}|reason-\d{1,18}|csrf_token|action|page|anchor)")
# A questionnaire of 500 statements with long reasons stays well below this.
MAX_KEPT_BODY = 4_000_000
LANGUAGE_SESSION_KEY = "lang"
# Where a panelist route keeps what was posted, for the 503 page of a database timeout.
POSTED_FIELDS = "posted_fields"


Lanes = tuple[asyncio.Semaphore, asyncio.Semaphore]


class Admission:
    """Pure ASGI middleware: at most ``limit`` requests inside the application at once."""

    def __init__(self, app: ASGIApp, *, limit: int, timeout: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout
        # With a limit of 1 both lanes share the one place.
        self.other = min(OTHER_LANE, max(1, limit // 2))
        # One per event loop: a server runs one, but each test client runs its own.
        self._lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Lanes]
        self._lanes = weakref.WeakKeyDictionary()

    def _lanes_of_loop(self) -> Lanes:
        loop = asyncio.get_running_loop()
        lanes = self._lanes.get(loop)
        if lanes is None:
            panelists = asyncio.Semaphore(max(1, self.limit - self.other))
            lanes = self._lanes[loop] = (panelists, asyncio.Semaphore(self.other))
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = max(limiter.total_tokens, 2 * self.limit)
        return lanes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        panelists, others = self._lanes_of_loop()
        places = panelists if path.startswith(PANELIST_PREFIXES) else others
        try:
            await asyncio.wait_for(places.acquire(), self.timeout)
        except TimeoutError:
            request = Request(scope, receive)
            fields = await _posted_fields(request)
            await busy(request, fields)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            places.release()


async def _posted_fields(request: Request) -> list[tuple[str, str]]:
    """The questionnaire fields of a refused panelist post (nothing for other requests)."""
    if request.method != "POST" or request.url.path != "/round":
        return []
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return []
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_KEPT_BODY:
            return []
    return kept_fields(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))


def kept_fields(items: Iterable[tuple[str, object]]) -> list[tuple[str, str]]:
    """The fields of a questionnaire post worth handing back, in the order sent."""
    return [
        (name, value)
        for name, value in items
        if isinstance(value, str) and _KEPT_FIELD.fullmatch(name)
    ]


def busy(request: Request, fields: list[tuple[str, str]] | None = None) -> Response:
    """503 with ``Retry-After``: JSON under /api/, else a page (holding ``fields``, if any)."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if request.url.path.startswith("/api/"):
        return JSONResponse(
            {"detail": "the server is busy; try again in a few seconds"},
            status_code=503,
            headers=headers,
        )
    from app.web.templating import templates

    language = request.scope.get("session", {}).get(LANGUAGE_SESSION_KEY)
    language = i18n.negotiate(language if isinstance(language, str) else None)
    fields = fields or []
    action = next((value for name, value in fields if name == "action"), "save")
    with i18n.use_language(language):
        return templates.TemplateResponse(
            request,
            "busy.html",
            {
                "lang": language,
                "fields": [(name, value) for name, value in fields if name != "action"],
                "action": "submit" if action == "submit" else "save",
                "retry_after": RETRY_AFTER_SECONDS,
            },
            status_code=503,
            headers=headers,
        )
