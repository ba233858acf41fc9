"""The FastAPI application: pages for panelists and facilitators, the analyst API."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

from app import logs
from app.config import get_settings
from app.errors import DomainError
from app.web.admission import POSTED_FIELDS, Admission, busy
from app.web.templating import TEMPLATES_DIR, templates

log = logging.getLogger("app")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Pages never leak their URL (or a token in it) to another site.
    "Referrer-Policy": "no-referrer",
}


def create_app() -> FastAPI:
    """Build the application from the current settings."""
    settings = get_settings()
    logs.install(settings.log_level)
    app = FastAPI(
        title="Delphi consensus engine",
        version="0.1.0",
        description="Anonymous iterative rating rounds; consensus and dissent statistics.",
    )
    # Inside the session middleware (which must see the cookie to name the refused page's
    # language) and outside everything that touches the database; see app.web.admission.
    app.add_middleware(
        Admission, limit=settings.max_concurrency, timeout=settings.admission_timeout
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="delphi_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)

    @app.middleware("http")
    async def _security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.mount("/static", StaticFiles(directory=TEMPLATES_DIR.parent / "static"), name="static")

    from app.api.router import router as api_router
    from app.console import proposals_pages, reasons_pages, statements_pages
    from app.console.pages import router as console_router
    from app.participation.pages import router as participation_router

    app.include_router(participation_router)
    app.include_router(console_router)
    app.include_router(reasons_pages.router)
    app.include_router(proposals_pages.router)
    app.include_router(statements_pages.router)
    app.include_router(api_router)

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
            request, f"Some of what was sent is missing or not valid ({fields}).", 422
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold (a NUL character, a number out of range) that
        # got past validation: the user's input is at fault, so 422, and the transaction
        # has already been rolled back by the unit of work.
        log.warning("database refused a value: %s", type(exc.orig).__name__)
        return _error_response(
            request,
            "Something in what was sent cannot be stored (an unusual character "
            "or a number out of range). Please check it and try again.",
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
        message = "There is no page at this address." if exc.status_code == 404 else exc.detail
        return _error_response(request, str(message), exc.status_code, exc.headers)

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


def _error_response(
    request: Request, message: str, status: int, extra: dict[str, str] | None = None
) -> Response:
    """JSON under /api/, otherwise the error page; neither is cached."""
    headers = {**(extra or {}), "Cache-Control": "no-store"}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"message": message, "status": status},
        status_code=status,
        headers=headers,
    )
