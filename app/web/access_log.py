"""The application's own access log, in place of uvicorn's (``delphi serve`` turns that off).

On PostgreSQL the order in which answer sets were committed can be read from the database
(``xmin``). A log line with a client address and the time of ``POST /round`` would put a
name (the address) on each of those commits. So the panelist's pages are logged without
the client address, and a panelist's POST is not logged at all unless it failed on the
server's side (a 5xx stores nothing, so its time matches no commit). Every other request
is logged with its address. Paths are redacted (:func:`app.logs.redact`) and query strings
are never written.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import logs

log = logging.getLogger("app.access")
READING = frozenset({"GET", "HEAD", "OPTIONS"})


class AccessLog:
    """Log one line per HTTP request once its response has started (or failed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Stays 500 if the application raises before answering.
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            record(scope, status)


def record(scope: Scope, status: int) -> None:
    """Write the access-log line of one request, or nothing (see the module docstring)."""
    method, path = scope["method"], scope["path"]
    shown = logs.redact(path) + ("?" + logs.REDACTED if scope.get("query_string") else "")
    if not logs.is_panelist_path(path):
        client = scope.get("client")
        log.info('%s - "%s %s" %d', client[0] if client else "-", method, shown, status)
    elif method in READING or status >= 500:
        log.info('panelist - "%s %s" %d', method, shown, status)
