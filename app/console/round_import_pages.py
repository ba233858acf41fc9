"""Console upload of a round answered elsewhere (a long CSV): all rows or none."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Request, UploadFile
from fastapi.responses import Response

from app import i18n
from app.console.auth import CurrentFacilitator
from app.console.pages import Csrf, Study, console_language, console_router, done, study_page
from app.console.service import display_filename
from app.errors import N_, DomainError, shown
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
    say: dict[str, str | int] = {
        "number": found.round.number,
        "respondents": found.respondents,
        "statements": len(found.round.items),
    }
    if found.warnings:
        # The flash keeps plain text: the notes go into it in the console's language.
        with i18n.use_language(console_language(request)):
            say["notes"] = "; ".join(shown(warning) for warning in found.warnings)
    return done(
        request,
        N_(
            "Round %(number)s imported and closed: %(respondents)s respondents, "
            "%(statements)s statements. Note: %(notes)s."
        )
        if found.warnings
        else N_(
            "Round %(number)s imported and closed: %(respondents)s respondents, "
            "%(statements)s statements."
        ),
        "console_round",
        say=say,
        key=survey.key,
        number=found.round.number,
    )
