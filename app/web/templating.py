"""The one Jinja environment for pages (autoescaped), with gettext and Babel filters."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from app import i18n
from app.console import labels
from app.errors import shown
from app.reports import method_labels
from app.web import fragments
from app.web.urls import template_url_for

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
# Links from the configured base path, never from the Host header.
templates.env.globals["url_for"] = template_url_for
i18n.install(templates.env)
fragments.install(templates.env)
labels.install(templates.env)
method_labels.install(templates.env)
# A domain error's message, translated where the page shows it.
templates.env.filters["shown"] = shown
