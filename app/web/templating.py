"""The one Jinja environment for pages (autoescaped), with gettext and Babel filters."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from app import i18n
from app.web import fragments

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
i18n.install(templates.env)
fragments.install(templates.env)
