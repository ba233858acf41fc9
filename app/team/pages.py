"""Console pages of a study's team, its audit log and its API keys.

Reading the team and the audit log takes any role in the study; changing the team and
everything about keys is for owners (:data:`app.console.auth.OwnerOnly`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api import keys
from app.console.auth import CurrentFacilitator, OwnerOnly
from app.console.pages import Csrf, Study, console_router, console_text, done, render
from app.errors import DomainError
from app.i18n import N_
from app.models import Facilitator, Role, Survey
from app.team import service as team
from app.team import trail
from app.web.sessions import SessionDep

# The role names shown in flash messages, as on the team page.
ROLE_LABELS = {
    Role.OWNER: N_("owner"),
    Role.FACILITATOR: N_("facilitator"),
    Role.OBSERVER: N_("observer"),
}

router = console_router()

MAX_ID = 2**31 - 1
MAX_FIELD = 400


def member_or_404(
    survey: Study, session: SessionDep, member_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> team.Member:
    """The study's team member named in the path, or a 404 page."""
    return team.get_member_or_raise(session, survey, member_id)


StudyMember = Annotated[team.Member, Depends(member_or_404)]


def team_page(
    request: Request,
    session: Session,
    survey: Survey,
    facilitator: Facilitator,
    error: DomainError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The team page, with the reason a failed change gives (and its status)."""
    return render(
        request,
        "team.html",
        {
            "survey": survey,
            "members": team.members(session, survey),
            "roles": list(Role),
            "role": request.state.role,
            "values": values or {"email": "", "name": "", "role": Role.FACILITATOR.value},
        },
        facilitator=facilitator,
        error=error,
    )


@router.get("/studies/{key}/team", name="console_team")
def team_view(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """Who is on the study's team, in which role; owners invite and change roles here."""
    return team_page(request, session, survey, facilitator)


@router.post("/studies/{key}/team", name="console_team_invite", dependencies=[OwnerOnly])
def invite(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    """Invite a colleague by email; one without an account gets a link to set a password."""
    values = {"email": email[:MAX_FIELD], "name": name[:MAX_FIELD], "role": role[:40]}
    try:
        with session.begin_nested():
            colleague = team.invite(
                session, survey, email=email, name=name, role=role, by=facilitator
            )
    except DomainError as exc:
        return team_page(request, session, survey, facilitator, exc, values)
    return done(
        request,
        console_text(
            request,
            N_("%(email)s is on the team as %(role)s; an email telling them is on its way."),
            email=colleague.email,
            role=console_text(request, ROLE_LABELS[team.parse_role(role)]),
        ),
        "console_team",
        key=survey.key,
    )


@router.post(
    "/studies/{key}/team/{member_id}/role", name="console_team_role", dependencies=[OwnerOnly]
)
def change_role(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    member: StudyMember,
    role: Annotated[str, Form()] = "",
) -> Response:
    """Give a member another role; the last owner stays owner."""
    try:
        with session.begin_nested():
            new = team.change_role(session, survey, member, role, actor=facilitator.email)
    except DomainError as exc:
        return team_page(request, session, survey, facilitator, exc)
    return done(
        request,
        console_text(
            request,
            N_("%(email)s is now %(role)s."),
            email=member.facilitator.email,
            role=console_text(request, ROLE_LABELS[new]),
        ),
        "console_team",
        key=survey.key,
    )


@router.post(
    "/studies/{key}/team/{member_id}/remove", name="console_team_remove", dependencies=[OwnerOnly]
)
def remove(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    member: StudyMember,
) -> Response:
    """Take a member off the team (their account stays); never the last owner."""
    try:
        with session.begin_nested():
            team.remove(session, survey, member, actor=facilitator.email)
    except DomainError as exc:
        return team_page(request, session, survey, facilitator, exc)
    return done(
        request,
        console_text(
            request,
            N_("%(email)s is no longer on this study's team."),
            email=member.facilitator.email,
        ),
        "console_team",
        key=survey.key,
    )


@router.get("/studies/{key}/audit", name="console_audit")
def audit(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """Who did what to the study and when; never a rating or a reason."""
    return render(
        request,
        "audit.html",
        {"survey": survey, "entries": trail.entries(session, survey), "limit": trail.PAGE_SIZE},
        facilitator=facilitator,
    )


def keys_page(
    request: Request,
    session: Session,
    survey: Survey,
    facilitator: Facilitator,
    error: DomainError | None = None,
    created: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The study's API keys; a key just created is shown this once."""
    return render(
        request,
        "keys.html",
        {
            "survey": survey,
            "keys": keys.list_keys(session, survey),
            "created": created,
            "values": values or {"name": "", "expires": ""},
        },
        facilitator=facilitator,
        error=error,
        # The page that shows a new key must not be kept anywhere.
        headers={"Cache-Control": "no-store"},
    )


@router.get("/studies/{key}/keys", name="console_keys", dependencies=[OwnerOnly])
def keys_view(
    request: Request, session: SessionDep, facilitator: CurrentFacilitator, survey: Study
) -> Response:
    """The study's analyst API keys: state, expiry, last use; create and revoke."""
    return keys_page(request, session, survey, facilitator)


@router.post("/studies/{key}/keys", name="console_key_create", dependencies=[OwnerOnly])
def create_key(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    name: Annotated[str, Form()] = "",
    expires: Annotated[str, Form()] = "",
) -> Response:
    """Create a key that reads this study only; it is shown once, on the page answered."""
    values = {"name": name[:MAX_FIELD], "expires": expires[:MAX_FIELD]}
    try:
        with session.begin_nested():
            full = keys.create(
                session,
                name=name,
                survey=survey,
                expires_at=keys.parse_expiry(expires),
                actor=facilitator.email,
            )
    except DomainError as exc:
        return keys_page(request, session, survey, facilitator, exc, values=values)
    # Rendered, not redirected: the key must not travel through the session cookie.
    return keys_page(request, session, survey, facilitator, created=full)


@router.post(
    "/studies/{key}/keys/{prefix}/revoke", name="console_key_revoke", dependencies=[OwnerOnly]
)
def revoke_key(
    request: Request,
    session: SessionDep,
    facilitator: CurrentFacilitator,
    _: Csrf,
    survey: Study,
    prefix: Annotated[str, Path(max_length=16)],
) -> Response:
    """Revoke one of the study's keys: refused with 401 from now on."""
    try:
        with session.begin_nested():
            key = keys.get_or_raise(session, prefix=prefix, survey=survey)
            keys.revoke(session, key, actor=facilitator.email)
    except DomainError as exc:
        return keys_page(request, session, survey, facilitator, exc)
    message = console_text(request, N_("The key “%(name)s” is revoked."), name=key.name)
    return done(request, message, "console_keys", key=survey.key)
