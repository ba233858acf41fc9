"""Console pages for one panelist at a time: add, edit, remove, resend a link, remind.

The panel list itself is ``console_panel`` (app/console/pages.py), which shows each
panelist's latest invitation through :mod:`app.panel.roster`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.console.auth import CurrentFacilitator
from app.console.pages import Csrf, Study, console_router, done, panel_view, render
from app.errors import N_, Conflict, DomainError
from app.models import Facilitator, Panelist, Survey
from app.panel import service as panel
from app.rounds import invitations, repository
from app.web.sessions import SessionDep

router = console_router()

# Panelist ids are database integers; anything larger cannot exist.
MAX_ID = 2**31 - 1


def panelist_or_404(
    survey: Study, session: SessionDep, panelist_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> Panelist:
    """The study's panelist named in the path (still on the panel), or a 404 page."""
    return panel.get_or_raise(session, survey, panelist_id)


StudyPanelist = Annotated[Panelist, Depends(panelist_or_404)]


def edit_page(
    request: Request,
    session: Session,
    survey: Survey,
    panelist: Panelist,
    facilitator: Facilitator,
    error: DomainError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """A panelist's page: their details form and what can be done for them."""
    return render(
        request,
        "panelist.html",
        {
            "survey": survey,
            "panelist": panelist,
            "values": values
            or {
                "email": panelist.email or "",
                "name": panelist.name,
                "stakeholder_group": panelist.stakeholder_group,
                "language": panelist.language,
            },
            "open_round": repository.open_round(session, survey),
        },
        facilitator=facilitator,
        error=error,
    )


@router.post("/studies/{key}/panel/add", name="console_panel_add")
def add(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    stakeholder_group: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
) -> Response:
    """Add one panelist; while a round is open they are invited to it at once."""
    try:
        with session.begin_nested():
            row = panel.check(
                survey,
                email=email,
                name=name,
                stakeholder_group=stakeholder_group,
                language=language,
            )
            added = panel.add(session, survey, row, actor=facilitator.email)
            invited = invitations.invite_late(session, survey, added, actor=facilitator.email)
    except DomainError as exc:
        return panel_view(request, session, survey, facilitator, exc)
    message = (
        N_("%(name)s added to the panel. Their invitation to the open round is queued.")
        if invited
        else N_("%(name)s added to the panel.")
    )
    return done(request, message, "console_panel", say={"name": row.name}, key=survey.key)


@router.get("/studies/{key}/panel/{panelist_id}", name="console_panelist")
def panelist_page(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    survey: Study,
    panelist: StudyPanelist,
) -> Response:
    """One panelist: edit, remove, send a fresh link, remind."""
    return edit_page(request, session, survey, panelist, facilitator)


@router.post("/studies/{key}/panel/{panelist_id}", name="console_panelist_edit")
def edit(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    panelist: StudyPanelist,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    stakeholder_group: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
) -> Response:
    """Change a panelist's email, name, stakeholder group or language."""
    values = {
        "email": email[: panel.MAX_NAME_LENGTH * 2],
        "name": name[: panel.MAX_NAME_LENGTH * 2],
        "stakeholder_group": stakeholder_group[:80],
        "language": language[:16],
    }
    try:
        with session.begin_nested():
            row = panel.check(
                survey,
                email=email,
                name=name,
                stakeholder_group=stakeholder_group,
                language=language,
            )
            changed = panel.update(session, survey, panelist, row, actor=facilitator.email)
    except DomainError as exc:
        return edit_page(request, session, survey, panelist, facilitator, exc, values)
    if not changed:
        return done(request, N_("Nothing changed."), "console_panel", key=survey.key)
    return done(
        request,
        N_("Changed: %(fields)s."),
        "console_panel",
        say={"fields": ", ".join(changed).replace("_", " ")},
        key=survey.key,
    )


@router.post("/studies/{key}/panel/{panelist_id}/remove", name="console_panelist_remove")
def remove(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    panelist: StudyPanelist,
) -> Response:
    """Remove a panelist: personal data erased, anonymous answers kept."""
    name = panelist.name
    panel.remove(session, survey, panelist, actor=facilitator.email)
    return done(
        request,
        N_("%(name)s was removed from the panel; their name and email are erased."),
        "console_panel",
        say={"name": name},
        key=survey.key,
    )


@router.post("/studies/{key}/panel/{panelist_id}/resend", name="console_panelist_resend")
def resend(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    panelist: StudyPanelist,
) -> Response:
    """Send a fresh link to the open round; the panelist's earlier links stop working."""
    try:
        with session.begin_nested():
            round_ = invitations.resend(session, survey, panelist, actor=facilitator.email)
    except DomainError as exc:
        return edit_page(request, session, survey, panelist, facilitator, exc)
    return done(
        request,
        N_(
            "A fresh link to round %(number)s is on its way to %(name)s; their earlier links "
            "no longer work."
        ),
        "console_panel",
        say={"number": round_.number, "name": panelist.name},
        key=survey.key,
    )


@router.post("/studies/{key}/panel/{panelist_id}/remind", name="console_panelist_remind")
def remind(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    panelist: StudyPanelist,
) -> Response:
    """Remind one panelist of the open round (sent whether or not they have submitted)."""
    try:
        with session.begin_nested():
            round_ = repository.open_round(session, survey)
            if round_ is None:
                raise Conflict(N_("study %(key)s has no open round"), key=repr(survey.key))
            invitations.remind_one(session, survey, round_, panelist, actor=facilitator.email)
    except DomainError as exc:
        return edit_page(request, session, survey, panelist, facilitator, exc)
    return done(
        request,
        N_("A reminder of round %(number)s is on its way to %(name)s."),
        "console_panel",
        say={"number": round_.number, "name": panelist.name},
        key=survey.key,
    )
