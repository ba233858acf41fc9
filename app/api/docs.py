"""The API documentation pages, ``/docs`` (Swagger UI) and ``/redoc``, served offline.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, with a favicon from another
site and an inline script. These load everything from this server: the Swagger UI and
ReDoc bundles that the ``fastapi-offline`` package ships (MIT; Swagger UI and ReDoc are
themselves MIT), this app's favicon, and a first-party start-up script, so the pages
work on a network without internet and under a Content-Security-Policy without inline
script.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from app.errors import N_, NotFound
from app.web.templating import templates

ASSETS = Path(str(files("fastapi_offline") / "static"))
# The files the pages use, and their types; nothing else is served from the folder.
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
}
# The bundles change only with the package: a day of caching spares a megabyte per visit.
ASSET_CACHE = "public, max-age=86400"
# ReDoc's sidebar credit ("API docs by Redocly") shows a logo fetched from Redocly's CDN,
# whatever the options say; the served bundle shows this app's icon there instead.
REDOC_REMOTE_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
LOCAL_LOGO = b"/static/favicon.svg"

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse, name="api_docs")
def swagger(request: Request) -> Response:
    """Swagger UI for the JSON API."""
    return templates.TemplateResponse(request, "apidocs/swagger.html", {"title": _title(request)})


@router.get("/redoc", response_class=HTMLResponse, name="api_redoc")
def redoc(request: Request) -> Response:
    """ReDoc for the JSON API."""
    return templates.TemplateResponse(request, "apidocs/redoc.html", {"title": _title(request)})


@router.get("/docs/assets/{name}", name="api_docs_asset")
def asset(name: str) -> Response:
    """One of the Swagger UI and ReDoc files."""
    media_type = ASSET_TYPES.get(name)
    if media_type is None:
        raise NotFound(N_("There is no such file."))
    headers = {"Cache-Control": ASSET_CACHE}
    if name == "redoc.standalone.js":
        return Response(_redoc_bundle(), media_type=media_type, headers=headers)
    return FileResponse(ASSETS / name, media_type=media_type, headers=headers)


@functools.cache
def _redoc_bundle() -> bytes:
    bundle = (ASSETS / "redoc.standalone.js").read_bytes()
    return bundle.replace(REDOC_REMOTE_LOGO, LOCAL_LOGO)


def _title(request: Request) -> str:
    return str(request.app.title)
