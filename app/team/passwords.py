"""Passwords: one-time links that set one (an invitation, a reset), and changing it.

A link carries a fresh 256-bit token; only its SHA-256 is stored. It works once, until
it expires; any other use (unknown, used, late) gets one and the same answer, so the
page says nothing about which it was. Setting a password ends the account's other
sessions and voids its other links.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import record
from app.config import get_settings
from app.console import accounts
from app.errors import N_, DomainError, Invalid, N_plural, Say
from app.mail.outbox import enqueue
from app.models import AccountToken, Facilitator, TokenPurpose
from app.models.base import utcnow
from app.security import hash_password, hash_token, new_token, verify_password

LIFETIME = {TokenPurpose.INVITE: dt.timedelta(days=7), TokenPurpose.RESET: dt.timedelta(hours=1)}
CONSOLE_NAME = "Delphi console"  # what the mail's heading names, as no study is concerned
RESEND_AFTER = dt.timedelta(minutes=5)
MAX_PASSWORD_LENGTH = 1000  # Argon2 takes any length; this bounds the work one request causes


class LinkNotValid(DomainError):
    """The one answer to a password link that is unknown, used or expired."""

    status = 404

    def __init__(self) -> None:
        super().__init__(
            N_(
                "This link does not work any more: it has been used, it has expired, or it "
                "was not copied whole. Ask for a new one."
            )
        )


def link(token: str) -> str:
    """The emailed address; the token is in the query, which logs never keep."""
    base = get_settings().base_url.rstrip("/")
    return f"{base}/console/password?{urlencode({'token': token})}"


def issue(session: Session, facilitator: Facilitator, purpose: TokenPurpose) -> str:
    """A new one-time token for ``facilitator``; the account's earlier unused ones stop."""
    now = utcnow()
    _void(session, facilitator, now)
    token = new_token()
    session.add(
        AccountToken(
            facilitator_id=facilitator.id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + LIFETIME[purpose],
        )
    )
    session.flush()
    return token


def _void(session: Session, facilitator: Facilitator, now: dt.datetime) -> None:
    session.execute(
        update(AccountToken)
        .where(AccountToken.facilitator_id == facilitator.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite gives naive datetimes back; every stored moment is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def check(session: Session, token: str) -> AccountToken:
    """The live token ``token`` stands for, else :class:`LinkNotValid`."""
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == hash_token(token)))
    if row is None or row.used_at is not None or _aware(row.expires_at) <= utcnow():
        raise LinkNotValid()
    return row


def _validate(password: str, confirm: str) -> None:
    problems: list[str] = []
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        problems.append(accounts.too_short())
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(
            Say(
                N_plural(
                    "password: at most %(count)s character",
                    "password: at most %(count)s characters",
                ),
                {"count": MAX_PASSWORD_LENGTH},
            )
        )
    if password != confirm:
        problems.append(Say(N_("confirm: the two passwords differ")))
    if problems:
        raise Invalid(N_("the password was not changed"), problems)


def _set(session: Session, facilitator: Facilitator, password: str) -> None:
    facilitator.password_hash = hash_password(password)
    # Every session from before (another browser, a stolen cookie) ends here.
    facilitator.session_version = Facilitator.session_version + 1
    _void(session, facilitator, utcnow())
    session.flush()
    session.refresh(facilitator, ["session_version"])


def redeem(session: Session, token: str, password: str, confirm: str) -> Facilitator:
    """Set the password of the token's account and use the token up.

    The token is checked first (:class:`LinkNotValid`), then the password (``Invalid``,
    and the link keeps working so that the person can try again).
    """
    row = check(session, token)
    _validate(password, confirm)
    facilitator = session.get_one(Facilitator, row.facilitator_id)
    # Used in SQL with a guard, so two submissions at once cannot both succeed.
    used = session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not getattr(used, "rowcount", 0):
        raise LinkNotValid()
    _set(session, facilitator, password)
    record(
        session,
        facilitator.email,
        f"password.{row.purpose.value}",
        None,
        facilitator_id=facilitator.id,
    )
    return facilitator


def change(
    session: Session, facilitator: Facilitator, current: str, password: str, confirm: str
) -> None:
    """Change a signed-in account's password; the current one must be given."""
    if not verify_password(facilitator.password_hash, current):
        raise Invalid(
            N_("the password was not changed"), [Say(N_("current password: not correct"))]
        )
    _validate(password, confirm)
    _set(session, facilitator, password)
    record(session, facilitator.email, "password.change", None, facilitator_id=facilitator.id)


def _recently_sent(session: Session, facilitator: Facilitator) -> bool:
    """A live link from the last few minutes: asking again sends nothing (no mail flood)."""
    since = utcnow() - RESEND_AFTER
    return (
        session.scalar(
            select(AccountToken.id).where(
                AccountToken.facilitator_id == facilitator.id,
                AccountToken.used_at.is_(None),
                AccountToken.created_at > since,
            )
        )
        is not None
    )


def request_reset(session: Session, email: str) -> None:
    """Mail a reset link if an account has ``email``; the caller answers the same either way.

    An invited colleague who has lost their invitation gets a fresh one this way too.
    """
    facilitator = accounts.get_by_email(session, email)
    if facilitator is None or _recently_sent(session, facilitator):
        return
    purpose = TokenPurpose.INVITE if facilitator.password_hash is None else TokenPurpose.RESET
    token = issue(session, facilitator, purpose)
    enqueue(
        session,
        kind="password_reset",
        to_address=facilitator.email,
        language="en",
        template="password_reset",
        context={
            "name": facilitator.name,
            "hours": LIFETIME[purpose] // dt.timedelta(hours=1),
            "survey_title": CONSOLE_NAME,
        },
        link=link(token),
    )
