"""Sign-in throttling, counted in the audit log so it holds across worker processes.

Every failed sign-in is an audit row (action ``login.failed``, actor the normalised email
as typed, never the password). An email with ``MAX_FAILURES`` failures inside ``WINDOW``
is refused until the oldest of them leaves the window, whether or not an account has that
email, so the refusal says nothing about which accounts exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from sqlalchemy import false, func, select, update
from sqlalchemy.orm import Session

from app.audit import record
from app.errors import DomainError
from app.models import AuditLog
from app.models.base import utcnow

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
FAILED = "login.failed"


class TooManyFailures(DomainError):
    """Sign-ins for this email are refused for ``retry_after`` more seconds."""

    status = 429

    def __init__(self, wait: dt.timedelta) -> None:
        self.retry_after = max(1, math.ceil(wait.total_seconds()))
        minutes = math.ceil(self.retry_after / 60)
        super().__init__(
            "Too many failed sign-ins for this account; "
            f"try again in {minutes} minute{'' if minutes == 1 else 's'}."
        )


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back without their zone; every one of them is UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def check(session: Session, email: str) -> None:
    """Raise :class:`TooManyFailures` if ``email`` (normalised) is locked out now."""
    now = utcnow()
    recent = session.scalars(
        select(AuditLog.at)
        .where(AuditLog.action == FAILED, AuditLog.actor == email, AuditLog.at > now - WINDOW)
        .order_by(AuditLog.at.desc())
        .limit(MAX_FAILURES)
    ).all()
    if len(recent) >= MAX_FAILURES:
        # Allowed again once the oldest of the last MAX_FAILURES leaves the window.
        raise TooManyFailures(_aware(recent[-1]) + WINDOW - now)


def serialise(session: Session, email: str) -> None:
    """Make concurrent attempts for ``email`` take turns until this transaction ends.

    Without it, a burst of parallel guesses would all be counted before any was
    recorded, and each worker would let the whole burst through.
    """
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"login:{email}".encode()).digest()
        session.execute(
            select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True)))
        )
    else:
        # SQLite has one writer at a time: a write that changes nothing takes that lock
        # now (if the transaction does not hold it already), so the count and the row
        # recorded after it are one atomic step.
        session.execute(
            update(AuditLog).where(false()).values(action=AuditLog.action),
            execution_options={"synchronize_session": False},
        )


def record_failure(session: Session, email: str) -> None:
    """Count a failed sign-in against ``email`` (normalised); the password is not kept."""
    record(session, email, FAILED, None)
