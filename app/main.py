"""The FastAPI application: pages for panelists and facilitators, the analyst API."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from app import logs
from app.config import get_settings
from app.errors import DomainError
from app.web.templating import TEMPLATES_DIR, templates

log = logging.getLogger("app")


def create_app() -> FastAPI:
    """Build the application from the current settings."""
    settings = get_settings()
    logs.install(settings.log_level)
    app = FastAPI(
        title="Delphi consensus engine",
        version="0.1.0",
        description="Anonymous iterative rating rounds; consensus and dissent statistics.",
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="delphi_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.mount("/static", StaticFiles(directory=TEMPLATES_DIR.parent / "static"), name="static")

    from app.api.router import router as api_router
    from app.console.pages import router as console_router
    from app.participation.pages import router as participation_router

    app.include_router(participation_router)
    app.include_router(console_router)
    app.include_router(api_router)

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.message}, status_code=exc.status)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"message": exc.message, "status": exc.status},
            status_code=exc.status,
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> Response:
        return templates.TemplateResponse(request, "home.html", {})

    return app
