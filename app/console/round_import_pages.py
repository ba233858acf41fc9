"""Console upload of a round answered elsewhere (a long CSV): all rows or none."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Request, UploadFile
from fastapi.responses import Response

from app.console.auth import CurrentFacilitator
from app.console.pages import Csrf, Study, console_router, done, study_page
from app.console.service import display_filename
from app.errors import DomainError
from app.round_import import parse
from app.round_import import service as round_import
from app.web.sessions import SessionDep

router = console_router()


@router.post("/studies/{key}/rounds/import", name="console_import_round")
def import_round(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Store an uploaded round answered elsewhere as a closed round with its results."""
    # One byte past the limit tells that a file is too large.
    data = file.file.read(parse.MAX_FILE_BYTES + 1) if file else b""
    name = display_filename(file.filename if file else None, "round.csv")
    try:
        with session.begin_nested():
            found = round_import.import_upload(session, survey, data, name, actor=facilitator.email)
    except DomainError as exc:
        return study_page(request, session, survey, facilitator, exc)
    notes = f" Note: {'; '.join(found.warnings)}." if found.warnings else ""
    return done(
        request,
        f"Round {found.round.number} imported and closed: {found.respondents} respondents, "
        f"{len(found.round.items)} statements.{notes}",
        "console_round",
        key=survey.key,
        number=found.round.number,
    )
