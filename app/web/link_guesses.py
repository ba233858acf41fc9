"""A limit on guessing links at ``/r/...``, per client address.

A link that does not work answers the same 404 page whatever was wrong with it; after
``FAILURES`` such answers to one address, that address gets 429 with ``Retry-After``
until the oldest failure leaves its window. Only failed lookups count, so panelists who
share an address (an office, a workshop's wifi) open their own links however many they
are.

A failure is known only once the lookup is done, so parallel guesses are all checked
before any of them counts. This middleware therefore sits inside the admission control
(app/web/admission.py): a guess is checked when it gets its place among the requests
being served, and a burst gets past the count by at most that many places.
"""

from __future__ import annotations

import logging

from limits import RateLimitItem, parse
from limits.errors import StorageError
from starlette.requests import Request
from starlette.responses import Response
from starlette.status import (
    HTTP_404_NOT_FOUND,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n, logs
from app.web.ratelimit import RateLimits, client_address
from app.web.templating import templates

log = logging.getLogger(__name__)

FAILURES: tuple[RateLimitItem, ...] = (parse("20/minute"), parse("100/hour"))
STORAGE_DOWN_RETRY = 30


class LinkGuessLimit:
    """Refuse ``/r/...`` to an address with too many failed lookups (see the module)."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logs.is_link_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        who = self.limits.identify("link", client_address(scope))
        try:
            wait = await self._wait(who)
        except StorageError as exc:
            log.error("rate-limit storage unavailable: %s", type(exc.storage_error).__name__)
            await _refusal(scope, HTTP_503_SERVICE_UNAVAILABLE, STORAGE_DOWN_RETRY)(
                scope, receive, send
            )
            return
        if wait:
            await _refusal(scope, HTTP_429_TOO_MANY_REQUESTS, wait)(scope, receive, send)
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status == HTTP_404_NOT_FOUND:
            try:
                for item in FAILURES:
                    await self.limits.aio.hit(item, who)
            except StorageError as exc:  # the answer is sent; the next request will refuse
                log.error("rate-limit storage unavailable: %s", type(exc.storage_error).__name__)

    async def _wait(self, who: str) -> int:
        """0 if ``who`` may try a link now, else the seconds to wait."""
        waits = [
            await self.limits.wait_async(item, who)
            for item in FAILURES
            if not await self.limits.aio.test(item, who)
        ]
        return max(waits, default=0)


def _refusal(scope: Scope, status: int, retry_after: int) -> Response:
    """The page in every language (the panelist is unknown here), never cached."""
    return templates.TemplateResponse(
        Request(scope),
        "participant/too_many_attempts.html",
        {"languages": i18n.LANGUAGES, "unavailable": status == HTTP_503_SERVICE_UNAVAILABLE},
        status_code=status,
        headers={"Retry-After": str(retry_after), "Cache-Control": "no-store"},
    )
