"""The FastAPI application: pages for panelists and facilitators, the analyst API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import i18n, logs
from app.config import Settings, get_settings
from app.errors import DomainError, Say
from app.i18n import N_
from app.web import ratelimit
from app.web.access_log import AccessLog
from app.web.admission import LANGUAGE_SESSION_KEY, POSTED_FIELDS, Admission, busy
from app.web.headers import SecurityHeaders
from app.web.link_guesses import LinkGuessLimit
from app.web.templating import TEMPLATES_DIR, templates

log = logging.getLogger("app")


class DelphiApp(FastAPI):
    """FastAPI with the outer layers of :func:`outer_layers` around Starlette's own stack.

    Starlette always puts its ``ServerErrorMiddleware`` outside every middleware added
    with ``add_middleware``, so only a wrapper of the whole stack sees its 500 answers.
    """

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings

    def build_middleware_stack(self) -> ASGIApp:
        return outer_layers(super().build_middleware_stack(), self.settings)


def outer_layers(app: ASGIApp, settings: Settings) -> ASGIApp:
    """Wrap ``app`` in the layers every request and response pass, outermost first.

    The whole order, from the network inwards:

    1. ``SecurityHeaders``: CSP, nosniff, Referrer-Policy, HSTS in production, on every
       response (the 400 of step 4 and the 500 of step 5 included).
    2. ``ProxyHeadersMiddleware`` (uvicorn's): the client address and scheme from
       ``X-Forwarded-*``, only when the connection comes from ``DELPHI_TRUSTED_PROXIES``.
    3. ``AccessLog``: one line per request with its final status (see app/web/access_log).
    4. ``TrustedHostMiddleware``: an unknown Host header gets 400 (production).
    5. Starlette's ``ServerErrorMiddleware``: an unhandled exception becomes the 500 page.
    6. The middleware added in :func:`create_app`, in the order given there: gzip, the
       session, admission (503 under saturation), link-guess limits.
    7. Starlette's ``ExceptionMiddleware`` and the routes.
    """
    if settings.env == "production":
        app = TrustedHostMiddleware(app, allowed_hosts=settings.host_names, www_redirect=False)
    app = AccessLog(app)
    if settings.trusted_proxy_list:
        app = cast(
            ASGIApp,
            ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=settings.trusted_proxy_list),
        )
    return SecurityHeaders(app, hsts=settings.env == "production")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await ratelimit.of_app(app).aclose()


def create_app() -> FastAPI:
    """Build the application from the current settings."""
    settings = get_settings()
    logs.install(settings.log_level)
    app = DelphiApp(
        settings,
        lifespan=_lifespan,
        title="Delphi consensus engine",
        version="0.1.0",
        description="Anonymous iterative rating rounds; consensus and dissent statistics.",
        # Served offline by app.api.docs instead (FastAPI's pages load a CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.rate_limits = ratelimit.build(settings)
    # Added innermost first (each add_middleware wraps the ones before it): a request
    # meets GZip, the session, Admission, then LinkGuessLimit. Admission sits inside the
    # session middleware (which must see the cookie to name the refused page's language)
    # and outside everything that touches the database; see app.web.admission. The link
    # guess limit sits inside it, so that parallel guesses are checked one place at a
    # time; see app.web.link_guesses.
    app.add_middleware(LinkGuessLimit, limits=app.state.rate_limits)
    app.add_middleware(
        Admission, limit=settings.max_concurrency, timeout=settings.admission_timeout
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=settings.session_cookie,
        max_age=settings.session_max_age,
        path="/",
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)

    app.mount("/static", StaticFiles(directory=TEMPLATES_DIR.parent / "static"), name="static")

    from app.analysis.router import router as analysis_api
    from app.api.docs import router as docs_router
    from app.api.router import router as api_router
    from app.console import proposals_pages, reasons_pages, report_pages, statements_pages
    from app.console.deadline_pages import router as deadline_router
    from app.console.export_pages import router as export_router
    from app.console.mail_pages import router as mail_router
    from app.console.pages import router as console_router
    from app.console.panel_pages import router as panel_router
    from app.console.realtime_pages import router as realtime_console_router
    from app.console.round_import_pages import router as round_import_router
    from app.participation.pages import router as participation_router
    from app.realtime.pages import router as realtime_router
    from app.reports.router import router as report_api
    from app.team import account_pages
    from app.team import pages as team_pages

    app.include_router(participation_router)
    app.include_router(realtime_router)
    app.include_router(console_router)
    app.include_router(panel_router)
    app.include_router(mail_router)
    app.include_router(deadline_router)
    app.include_router(export_router)
    app.include_router(round_import_router)
    app.include_router(realtime_console_router)
    app.include_router(reasons_pages.router)
    app.include_router(proposals_pages.router)
    app.include_router(statements_pages.router)
    app.include_router(team_pages.router)
    app.include_router(account_pages.router)
    app.include_router(report_pages.router)
    app.include_router(api_router)
    app.include_router(analysis_api)
    app.include_router(report_api)
    app.include_router(docs_router)

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        return _error_response(request, exc.message, exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            # The default body echoes the input back; name the fields and the reasons only.
            problems = [
                {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
                for error in exc.errors()
            ]
            return JSONResponse({"detail": problems}, status_code=422)
        fields = ", ".join(str(error["loc"][-1]) for error in exc.errors() if error.get("loc"))
        return _error_response(
            request,
            N_("Some of what was sent is missing or not valid (%(fields)s)."),
            422,
            params={"fields": fields},
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold (a NUL character, a number out of range) that
        # got past validation: the user's input is at fault, so 422, and the transaction
        # has already been rolled back by the unit of work.
        log.warning("database refused a value: %s", type(exc.orig).__name__)
        return _error_response(
            request,
            N_(
                "Something in what was sent cannot be stored (an unusual character "
                "or a number out of range). Please check it and try again."
            ),
            422,
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_busy(request: Request, exc: Exception) -> Response:
        # A bounded wait ran out (a lock, a connection) or the database is away: the
        # transaction was rolled back, nothing half-done is stored, and the panelist gets
        # back everything they sent.
        log.warning("database busy or unavailable: %s", _cause(exc))
        return busy(request, getattr(request.state, POSTED_FIELDS, None))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.url.path in ("/docs", "/openapi.json"):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        message = HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        return _error_response(request, message, exc.status_code, exc.headers)

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception) -> Response:
        # Starlette raises the exception again once this is sent, and the server logs it.
        return _error_response(
            request,
            N_("Something went wrong on our side. Please go back and try again in a moment."),
            500,
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> Response:
        return templates.TemplateResponse(request, "home.html", {})

    return app


def _cause(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return type(orig or exc).__name__


# Starlette's own errors (a wrong method, an unknown address) in words the catalogs hold.
HTTP_MESSAGES = {
    404: N_("There is no page at this address."),
    405: N_("This address does not accept that kind of request."),
}


def _error_response(
    request: Request,
    message: str,
    status: int,
    extra: Mapping[str, str] | None = None,
    params: dict[str, object] | None = None,
) -> Response:
    """JSON under /api/, otherwise the error page in the visitor's language; never cached.

    ``message`` is the English wording (a :class:`Say` carries its values); the page shows
    its translation when the catalogs hold it (every message a panelist can meet is marked
    with ``N_``).
    """
    headers = {**(extra or {}), "Cache-Control": "no-store"}
    said = message if isinstance(message, Say) else Say(message, params)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(said)}, status_code=status, headers=headers)
    session = request.scope.get("session", {})
    language = i18n.request_language(
        session.get(LANGUAGE_SESSION_KEY), request.headers.get("accept-language")
    )
    with i18n.use_language(language):
        return templates.TemplateResponse(
            request,
            "error.html",
            {"lang": language, "message": said, "status": status},
            status_code=status,
            headers=headers,
        )
