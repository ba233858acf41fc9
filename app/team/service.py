"""Who is on a study's team, in which role; inviting, re-roling and removing colleagues.

Every change keeps at least one owner on the study and is audit-logged. An account that
is on no team of a study cannot tell that the study exists (the console answers 404).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import record
from app.console import accounts
from app.errors import N_, Conflict, Invalid, N_plural, NotFound, Say
from app.mail.addresses import normalize_email
from app.mail.outbox import enqueue
from app.models import Facilitator, Membership, Role, Survey, TokenPurpose
from app.team import passwords

ROLES = ", ".join(role.value for role in Role)
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class Member:
    """One line of the team page."""

    membership: Membership
    facilitator: Facilitator

    @property
    def pending(self) -> bool:
        """Invited, and no password set yet."""
        return self.facilitator.password_hash is None


def parse_role(value: str) -> Role:
    """The role named ``value``; ``Invalid`` names the roles there are."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise Invalid(
            N_("role: %(value)s is not a role; choose one of %(roles)s"),
            value=repr(value.strip()[:40]),
            roles=ROLES,
        ) from None


def role_of(session: Session, survey_id: int, facilitator: Facilitator) -> Role | None:
    """The account's role in the study, or ``None`` if it is not on the team."""
    return session.scalar(
        select(Membership.role).where(
            Membership.survey_id == survey_id, Membership.facilitator_id == facilitator.id
        )
    )


def roles_of(session: Session, facilitator: Facilitator) -> dict[int, Role]:
    """Survey id -> role, for every study the account is on the team of."""
    rows = session.execute(
        select(Membership.survey_id, Membership.role).where(
            Membership.facilitator_id == facilitator.id
        )
    )
    return {survey_id: role for survey_id, role in rows}  # noqa: C416 (rows are not pairs)


def members(session: Session, survey: Survey) -> list[Member]:
    """The study's team, owners first, then by name."""
    rows = session.execute(
        select(Membership, Facilitator)
        .join(Facilitator, Facilitator.id == Membership.facilitator_id)
        .where(Membership.survey_id == survey.id)
        .order_by(Facilitator.name, Facilitator.id)
    )
    found = [Member(m, f) for m, f in rows]
    return sorted(found, key=lambda m: -m.membership.role.rank)


def get_member_or_raise(session: Session, survey: Survey, membership_id: int) -> Member:
    """The study's team member ``membership_id``, or ``NotFound``."""
    row = session.execute(
        select(Membership, Facilitator)
        .join(Facilitator, Facilitator.id == Membership.facilitator_id)
        .where(Membership.id == membership_id, Membership.survey_id == survey.id)
    ).first()
    if row is None:
        raise NotFound(N_("There is no such member of this study's team."))
    return Member(*row)


def add(
    session: Session, survey: Survey, facilitator: Facilitator, role: Role, *, actor: str
) -> Membership:
    """Put an existing account on the study's team; ``Conflict`` if it is already on it."""
    if role_of(session, survey.id, facilitator) is not None:
        raise Conflict(
            N_("%(email)s is already on the team of this study"), email=facilitator.email
        )
    membership = Membership(survey_id=survey.id, facilitator_id=facilitator.id, role=role)
    session.add(membership)
    session.flush()
    record(
        session,
        actor,
        "team.add",
        survey.id,
        {"member": facilitator.id, "role": role.value},
    )
    return membership


def invite(
    session: Session, survey: Survey, *, email: str, name: str, role: str, by: Facilitator
) -> Facilitator:
    """Put a colleague on the team and tell them by email.

    A colleague without an account gets one with no password and a one-time link to set
    it; one who has an account is told they were added. Everything is checked before
    anything is written.
    """
    problems: list[str] = []
    parsed: Role | None = None
    try:
        address = normalize_email(email)
    except Invalid as exc:
        problems.append(exc.message)
        address = ""
    try:
        parsed = parse_role(role)
    except Invalid as exc:
        problems.append(exc.message)
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        problems.append(
            Say(
                N_plural("name: at most %(count)s character", "name: at most %(count)s characters"),
                {"count": MAX_NAME_LENGTH},
            )
        )
    if problems or parsed is None:
        raise Invalid(N_("cannot invite this colleague"), problems)
    colleague = accounts.get_by_email(session, address)
    if colleague is None:
        colleague = Facilitator(email=address, name=name or address, password_hash=None)
        session.add(colleague)
        session.flush()
    add(session, survey, colleague, parsed, actor=by.email)
    context: dict[str, object] = {
        "name": colleague.name,
        "inviter": by.name,
        "survey_title": survey.text(survey.title),
        "role": parsed.value,
    }
    link = None
    if colleague.password_hash is None:
        link = passwords.link(passwords.issue(session, colleague, TokenPurpose.INVITE))
        context["expires_days"] = passwords.LIFETIME[TokenPurpose.INVITE].days
    enqueue(
        session,
        kind="team_invitation",
        to_address=colleague.email,
        language="en",
        template="team_invitation" if link else "team_added",
        context=context,
        link=link,
    )
    return colleague


def _owners(session: Session, survey: Survey) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.survey_id == survey.id, Membership.role == Role.OWNER)
        )
        or 0
    )


def _keep_an_owner(session: Session, survey: Survey, member: Member) -> None:
    if member.membership.role == Role.OWNER and _owners(session, survey) <= 1:
        raise Conflict(
            N_("%(email)s is the study's last owner: make someone else owner first"),
            email=member.facilitator.email,
        )


def change_role(session: Session, survey: Survey, member: Member, role: str, *, actor: str) -> Role:
    """Give a team member another role; the last owner stays owner."""
    new = parse_role(role)
    if new == member.membership.role:
        return new
    if new != Role.OWNER:
        _keep_an_owner(session, survey, member)
    member.membership.role = new
    session.flush()
    record(
        session,
        actor,
        "team.role",
        survey.id,
        {"member": member.facilitator.id, "role": new.value},
    )
    return new


def remove(session: Session, survey: Survey, member: Member, *, actor: str) -> None:
    """Take a member off the study's team (their account stays); never the last owner."""
    _keep_an_owner(session, survey, member)
    session.delete(member.membership)
    session.flush()
    record(session, actor, "team.remove", survey.id, {"member": member.facilitator.id})
