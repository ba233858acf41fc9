"""Facilitator accounts: creation and password sign-in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record
from app.errors import N_, Conflict, Invalid, N_plural, Say
from app.mail.addresses import normalize_email
from app.models import Facilitator
from app.security import hash_password, verify_password

MIN_PASSWORD_LENGTH = 12


def too_short() -> str:
    """The problem of a password shorter than :data:`MIN_PASSWORD_LENGTH`."""
    return Say(
        N_plural(
            "password: must be at least %(count)s character long",
            "password: must be at least %(count)s characters long",
        ),
        {"count": MIN_PASSWORD_LENGTH},
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
