"""The final report page and its PDF, from :func:`app.reports.service.build`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app import i18n
from app.models import Survey
from app.reports import figures, pdf, service
from app.web.templating import TEMPLATES_DIR, templates

TEMPLATE = "facilitator/final_report.html"
STYLESHEET = TEMPLATES_DIR.parent / "static" / "report.css"


def context(
    session: Session, survey: Survey, pair: tuple[str, str] | None = None
) -> dict[str, Any]:
    """The template's data: the report and its charts (``pair``: the map's criteria).

    The charts' titles and tables are worded in the current language
    (:func:`app.i18n.use_language`), so build them inside the render's language.
    """
    report = service.build(session, survey)
    groups = [(g["key"], survey.group_label(g["key"])) for g in survey.stakeholder_groups]
    return {"report": report, "figures": figures.build(report, groups, pair)}


def printable(session: Session, survey: Survey, language: str | None = None) -> str:
    """The page as one self-contained HTML document (stylesheet inlined, no links out),
    in ``language`` (English by default)."""
    with i18n.use_language(language) as lang:
        data = context(session, survey)
        return templates.env.get_template(TEMPLATE).render(
            **data, lang=lang, inline_css=STYLESHEET.read_text(encoding="utf-8")
        )


def pdf_of(session: Session, survey: Survey, language: str | None = None) -> bytes:
    """The report printed to A4 PDF, in ``language`` (English by default)."""
    return pdf.render(printable(session, survey, language))
