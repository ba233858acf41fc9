"""Facilitator accounts: creation and password sign-in."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import EMAIL_MAX_LENGTH
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record
from app.errors import N_, Conflict, Invalid, Say
from app.models import Facilitator
from app.security import hash_password, verify_password

MIN_PASSWORD_LENGTH = 12


def normalize_email(email: str) -> str:
    """The canonical (lower-case) form accounts are stored, looked up and throttled under.

    Raises ``Invalid`` for anything that is not an email address (NUL characters and
    addresses over 254 characters included), so such input never reaches the database.
    """
    address = email.strip()
    if not address:
        raise Invalid(N_("email: missing"))
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid(N_("email: %(reason)s"), reason=_why_not(address)) from None


def _why_not(address: str) -> Say:
    """Why email_validator refused ``address``, in a message of ours.

    Its reasons are English sentences without a code to tell them apart, so the common
    cases are found again from the address itself: too long, no @, or no domain name after
    it (what follows the last @, checked alone after a plain name).
    """
    if len(address) > EMAIL_MAX_LENGTH:
        return Say(
            N_("not a valid email address: too long, the maximum length is %(most)s"),
            {"most": EMAIL_MAX_LENGTH},
        )
    _, at, domain = address.rpartition("@")
    if not at:
        return Say(N_("not a valid email address: it has no @"))
    try:
        validate_email(f"name@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return Say(
            N_(
                "not a valid email address: what follows the @ is not a domain name "
                "such as example.org"
            )
        )
    return Say(N_("not a valid email address"))


def too_short() -> str:
    """The problem of a password shorter than :data:`MIN_PASSWORD_LENGTH`."""
    return Say(
        N_("password: must be at least %(count)s characters long"), {"count": MIN_PASSWORD_LENGTH}
    )


def get_by_email(session: Session, email: str) -> Facilitator | None:
    """The account for ``email`` as typed, normalised the way accounts are created."""
    try:
        normalized = normalize_email(email)
    except Invalid:
        return None  # not an address, so no account can have it
    return session.scalar(select(Facilitator).where(Facilitator.email == normalized))


def create(
    session: Session, *, email: str, name: str, password: str, actor: str = "cli"
) -> Facilitator:
    """Create an account; the password is stored only as an Argon2id hash."""
    problems: list[str] = []
    try:
        email = normalize_email(email)
    except Invalid as exc:
        problems.append(exc.message)
    name = name.strip()
    if not name:
        problems.append(Say(N_("name: missing")))
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(too_short())
    if problems:
        raise Invalid(N_("cannot create the facilitator account"), problems)
    if get_by_email(session, email) is not None:
        raise Conflict(N_("a facilitator with email %(email)s already exists"), email=email)
    facilitator = Facilitator(email=email, name=name, password_hash=hash_password(password))
    session.add(facilitator)
    session.flush()
    record(session, actor, "facilitator.create", None, {"email": email})
    return facilitator


def authenticate(session: Session, email: str, password: str) -> Facilitator | None:
    """The account these credentials open, or ``None``; equal work whether it exists or not."""
    facilitator = get_by_email(session, email)
    if verify_password(facilitator.password_hash if facilitator else None, password):
        return facilitator
    return None
