"""The final report page and its PDF, from :func:`app.reports.service.build`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.models import Survey
from app.reports import figures, pdf, service
from app.web.templating import TEMPLATES_DIR, templates

TEMPLATE = "facilitator/final_report.html"
STYLESHEET = TEMPLATES_DIR.parent / "static" / "report.css"


def context(
    session: Session, survey: Survey, pair: tuple[str, str] | None = None
) -> dict[str, Any]:
    """The template's data: the report and its charts (``pair``: the map's criteria)."""
    report = service.build(session, survey)
    groups = [(g["key"], survey.group_label(g["key"])) for g in survey.stakeholder_groups]
    return {"report": report, "figures": figures.build(report, groups, pair)}


def printable(session: Session, survey: Survey) -> str:
    """The page as one self-contained HTML document (stylesheet inlined, no links out)."""
    data = context(session, survey)
    return templates.env.get_template(TEMPLATE).render(
        **data, inline_css=STYLESHEET.read_text(encoding="utf-8")
    )


def pdf_of(session: Session, survey: Survey) -> bytes:
    """The report printed to A4 PDF."""
    return pdf.render(printable(session, survey))
