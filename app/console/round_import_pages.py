"""Console upload of a round answered elsewhere (a long CSV): all rows or none."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Request, UploadFile
from fastapi.responses import Response

from app import i18n
from app.console.auth import CurrentFacilitator
from app.console.pages import Csrf, Study, console_language, console_router, done, study_page
from app.console.service import display_filename
from app.errors import N_, DomainError, N_plural, Say, shown
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
    respondents = N_plural("%(count)s respondent", "%(count)s respondents")
    statements = N_plural("%(count)s statement", "%(count)s statements")
    # The flash keeps plain text: the two counts (each a word in the form its number
    # needs) and the notes go into it in the console's language.
    with i18n.use_language(console_language(request)):
        say: dict[str, str | int] = {
            "number": found.round.number,
            "respondents": Say(respondents, {"count": found.respondents}).text(),
            "statements": Say(statements, {"count": len(found.round.items)}).text(),
        }
        if found.warnings:
            say["notes"] = "; ".join(shown(warning) for warning in found.warnings)
    return done(
        request,
        N_(
            "Round %(number)s imported and closed: %(respondents)s, %(statements)s. "
            "Note: %(notes)s."
        )
        if found.warnings
        else N_("Round %(number)s imported and closed: %(respondents)s, %(statements)s."),
        "console_round",
        say=say,
        key=survey.key,
        number=found.round.number,
    )
