"""Links and redirects that never come from the request's Host header.

Starlette's ``request.url_for`` builds an absolute URL from the Host header, so a request
with ``Host: evil.example`` would get redirects and stylesheet links to that site (and a
cache in front could keep them). Pages and redirects here use root-relative paths
instead, which work whatever host name the visitor used (the application is served at
the root of its site); absolute URLs (the links in emails) are built from
``DELPHI_BASE_URL`` alone.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from starlette.datastructures import URL
from starlette.requests import Request


def path_for(request: Request, name: str, /, **params: Any) -> str:
    """The root-relative URL of the route ``name``."""
    return str(request.app.url_path_for(name, **params))


@pass_context
def template_url_for(context: dict[str, Any], name: str, /, **params: Any) -> URL:
    """``url_for`` in templates: like Starlette's, but see the module docstring."""
    return URL(path_for(context["request"], name, **params))
