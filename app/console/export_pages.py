"""Console downloads of a closed round's export tables: one XLSX workbook, or CSV per table."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from fastapi.responses import Response

from app.console.auth import CurrentFacilitator
from app.console.pages import Study, StudyRound, console_router
from app.exports import service as exports
from app.web.sessions import SessionDep

router = console_router()


def _attachment(key: str, number: int, name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{key}-round-{number}-{name}"'}


@router.get("/studies/{key}/rounds/{number}/export.xlsx", name="console_export_xlsx")
def workbook(
    session: SessionDep, _: CurrentFacilitator, survey: Study, round_: StudyRound
) -> Response:
    """The round's tables and data dictionary as one workbook (the API's metrics.xlsx)."""
    tables = exports.round_tables(session, survey, round_.number)
    return Response(
        exports.to_xlsx(tables),
        media_type=exports.XLSX_TYPE,
        headers=_attachment(survey.key, round_.number, "metrics.xlsx"),
    )


@router.get("/studies/{key}/rounds/{number}/export/{table}.csv", name="console_export_csv")
def table_csv(
    session: SessionDep,
    _: CurrentFacilitator,
    survey: Study,
    round_: StudyRound,
    table: Annotated[str, Path(max_length=40)],
) -> Response:
    """One of the round's tables as CSV."""
    found = exports.round_table(session, survey, round_.number, table)
    return Response(
        exports.to_csv(found),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(survey.key, round_.number, f"{found.name}.csv"),
    )
