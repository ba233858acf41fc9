"""The outbox worker: send what is due, retry with back-off, erase personal data once sent.

A row goes out in three steps, and no transaction is open while the SMTP server talks:

1. claim: a short transaction moves the row from ``pending`` to ``sending`` with a
   conditional UPDATE (``WHERE state = 'pending'``, plus ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL), so of several workers exactly one gets it;
2. send: the message goes to the server, outside any transaction (on SQLite a transaction
   would hold the one write lock, and every panelist's save with it, for the whole exchange);
3. mark: a second short transaction records the row as ``sent`` (erasing the link, the
   address and the context) or puts it back to ``pending`` with a back-off, or ``failed``.

A worker that dies between 1 and 3 leaves the row in ``sending``; it is never picked up
again on its own, since the server may already have accepted the message. ``delphi mail
send`` warns about such rows and ``delphi mail requeue`` puts them back, resent under the
same Message-ID. Logs carry outbox ids and counts only: never addresses, names, links or
tokens.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import smtplib
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import ColumnElement

from app import logs
from app.config import Settings, get_settings
from app.db import unit_of_work
from app.mail import backends, render
from app.models import Outbox, OutboxState
from app.models.base import utcnow
from app.security import unseal

log = logging.getLogger("app.mail")

# Doubling from 30 s rides out a relay restart within a minute or two; the 1 h cap keeps a
# long outage from pushing invitations hours past the moment SMTP comes back.
RETRY_BASE = dt.timedelta(seconds=30)
RETRY_CAP = dt.timedelta(hours=1)
# last_error is for an operator's eye; a server's full reply adds nothing past this.
ERROR_LIMIT = 500
# A send takes seconds (at most a few SMTP timeouts); a claim this old means its worker died.
STUCK_AFTER = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class SendResult:
    """What one pass did: delivered, given up on, and left to retry later."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, ... up to 1 h."""
    # Doubling stops well past the cap: a large attempt count would overflow timedelta.
    doublings = min(attempts - 1, 16)
    return min(RETRY_BASE * (1 << doublings), RETRY_CAP)


def send_due(
    *, now: dt.datetime | None = None, limit: int = 100, stop: threading.Event | None = None
) -> SendResult:
    """One pass: try each pending row whose ``next_attempt_at`` has come, oldest first.

    ``stop``, once set, ends the pass after the row in hand (a clean shutdown). A row the
    server accepted but that could not be marked sent stays ``sending`` and the error is
    raised: the database is in trouble and the rest of the pass would fare no better.
    """
    settings = get_settings()
    # Before any row is claimed: a refused configuration leaves the queue untouched.
    backend = backends.from_settings(settings)
    # SQLite stores datetimes without an offset; comparing in UTC keeps both databases right.
    now = (now or utcnow()).astimezone(dt.UTC)
    with unit_of_work() as session:
        ids = list(
            session.scalars(
                select(Outbox.id)
                .where(Outbox.state == OutboxState.PENDING, Outbox.next_attempt_at <= now)
                # id breaks ties so rows queued in one launch go out in the order written.
                .order_by(Outbox.next_attempt_at, Outbox.id)
                .limit(limit)
            )
        )
    outcomes = {OutboxState.SENT: 0, OutboxState.FAILED: 0, OutboxState.PENDING: 0}
    if ids:
        with backend:
            for row_id in ids:
                if stop is not None and stop.is_set():
                    break
                outcome = _send_one(row_id, backend, now, settings)
                if outcome is not None:
                    outcomes[outcome] += 1
    result = SendResult(
        sent=outcomes[OutboxState.SENT],
        failed=outcomes[OutboxState.FAILED],
        retrying=outcomes[OutboxState.PENDING],
    )
    log.log(
        logging.INFO if ids else logging.DEBUG,
        "mail pass: %d sent, %d failed, %d will retry",
        result.sent,
        result.failed,
        result.retrying,
    )
    return result


def _send_one(
    row_id: int, backend: backends.Backend, now: dt.datetime, settings: Settings
) -> OutboxState | None:
    """Claim, send and mark one row; ``None`` if another worker has it or it is done."""
    row = _claim(row_id, now, settings.mail_from)
    if row is None:
        return None
    link: str | None = None
    try:
        link = unseal(row.secret) if row.secret else None
        message = render.compose(row, link=link, sender=settings.mail_from)
        assert row.to_address is not None  # compose() refuses a row without one
        backend.send(
            backends.Delivery(
                outbox_id=row.id,
                kind=row.kind,
                to_address=row.to_address,
                link=link,
                message=message,
            )
        )
    except Exception as exc:  # any failure is this row's, recorded on it and retried
        try:
            return _record_failure(row, exc, link, now, settings)
        except Exception:
            _log_unsettled(row.id, "its failed attempt could not be recorded")
            raise
    try:
        _mark_sent(row.id)
    except Exception:
        _log_unsettled(row.id, "was handed to the mail server but could not be marked sent")
        raise
    log.debug("outbox %d sent", row.id)
    return OutboxState.SENT


def _log_unsettled(row_id: int, what: str) -> None:
    log.error(
        "outbox %d %s; it stays 'sending' and is not retried automatically "
        "(see `delphi mail requeue`)",
        row_id,
        what,
    )


def _claim(row_id: int, now: dt.datetime, sender: str) -> Outbox | None:
    """Move the row from pending to sending in a transaction of its own; ``None`` if taken."""
    due = (
        select(Outbox.id)
        .where(
            Outbox.id == row_id,
            Outbox.state == OutboxState.PENDING,
            Outbox.next_attempt_at <= now,
        )
        # PostgreSQL skips a row another worker is claiming this instant instead of waiting
        # for it; SQLite has no row locks (nothing is rendered) and runs one writer at a time.
        .with_for_update(skip_locked=True)
    )
    with unit_of_work() as session:
        claimed = session.execute(
            update(Outbox)
            # The state test is the claim itself: of two racing workers, one changes the row
            # and the other's UPDATE then matches nothing.
            .where(Outbox.id.in_(due), Outbox.state == OutboxState.PENDING)
            .values(
                state=OutboxState.SENDING,
                claimed_at=utcnow(),
                # Kept from an earlier attempt, so a retry carries the same Message-ID.
                message_id=func.coalesce(Outbox.message_id, render.message_id(row_id, sender)),
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        # Loaded after the claim and returned detached (the factory does not expire on commit).
        return session.get(Outbox, row_id)


# A row that is done keeps what it was (kind, language, template), its state, attempts and
# timestamps; nothing that identifies the panelist or lets anyone into the round.
_ERASED: dict[str, Any] = {"secret": None, "to_address": None, "context": {}}


def _mark_sent(row_id: int) -> None:
    """Record the delivery and erase what the row no longer needs: link, address, context."""
    with unit_of_work() as session:
        session.execute(
            update(Outbox)
            # Also from pending: an operator may have requeued a send that was only slow.
            .where(
                Outbox.id == row_id,
                Outbox.state.in_((OutboxState.SENDING, OutboxState.PENDING)),
            )
            .values(
                state=OutboxState.SENT,
                sent_at=utcnow(),
                last_error=None,
                **_ERASED,
            )
            .execution_options(synchronize_session=False)
        )


def _record_failure(
    row: Outbox, exc: Exception, link: str | None, now: dt.datetime, settings: Settings
) -> OutboxState:
    """Count the failed attempt: back to pending after a back-off, or failed for good."""
    attempts = row.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_error": _describe(exc, secrets=[link, row.to_address]),
    }
    delay = retry_delay(attempts)
    gave_up = attempts >= settings.mail_max_attempts
    if gave_up:
        # Neither the link nor the address outlives the attempt to deliver them.
        values |= {"state": OutboxState.FAILED, **_ERASED}
    else:
        values |= {"state": OutboxState.PENDING, "next_attempt_at": now + delay, "claimed_at": None}
    with unit_of_work() as session:
        session.execute(
            update(Outbox)
            .where(Outbox.id == row.id, Outbox.state == OutboxState.SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    reason = type(exc).__name__
    if gave_up:
        log.warning("outbox %d failed for good after %d attempts (%s)", row.id, attempts, reason)
        return OutboxState.FAILED
    log.warning(
        "outbox %d attempt %d failed (%s); next try in %d s",
        row.id,
        attempts,
        reason,
        delay.total_seconds(),
    )
    return OutboxState.PENDING


def _stuck_since(
    now: dt.datetime | None, older_than: dt.timedelta
) -> tuple[ColumnElement[bool], ...]:
    cutoff = (now or utcnow()).astimezone(dt.UTC) - older_than
    return (
        Outbox.state == OutboxState.SENDING,
        or_(Outbox.claimed_at.is_(None), Outbox.claimed_at <= cutoff),
    )


def count_stuck(*, older_than: dt.timedelta = STUCK_AFTER, now: dt.datetime | None = None) -> int:
    """How many rows have been ``sending`` for longer than ``older_than``."""
    with unit_of_work() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Outbox).where(*_stuck_since(now, older_than))
            )
            or 0
        )


def warn_stuck(*, now: dt.datetime | None = None) -> int:
    """Log a warning if rows are stuck in ``sending``; return how many."""
    stuck = count_stuck(now=now)
    if stuck:
        log.warning(
            "%d outbox %s been in 'sending' for more than %d minutes: a worker stopped "
            "mid-send, and the server may or may not have accepted %s. They are not retried "
            "automatically; check the mail server's log, then `delphi mail requeue` sends "
            "them again (possibly a second time).",
            stuck,
            "row has" if stuck == 1 else "rows have",
            STUCK_AFTER // dt.timedelta(minutes=1),
            "it" if stuck == 1 else "them",
        )
    return stuck


def requeue(*, older_than: dt.timedelta = STUCK_AFTER, now: dt.datetime | None = None) -> int:
    """Put rows ``sending`` for longer than ``older_than`` back in the queue; return how many.

    Each may reach its recipient twice (with the same Message-ID): the operator accepts that
    by asking, rather than leaving a panelist without their invitation.
    """
    now = (now or utcnow()).astimezone(dt.UTC)
    with unit_of_work() as session:
        result = session.execute(
            update(Outbox)
            .where(*_stuck_since(now, older_than))
            .values(state=OutboxState.PENDING, claimed_at=None, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    count: int = result.rowcount  # type: ignore[attr-defined]
    if count:
        log.warning("requeued %d outbox rows left in 'sending'", count)
    return count


def _describe(exc: Exception, *, secrets: list[str | None]) -> str:
    """A one-line reason with the link and the address blanked out (servers echo them)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        text = f"recipient refused by the SMTP server (code {', '.join(map(str, codes))})"
    elif isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        reply = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        text = f"{type(exc).__name__}: {exc.smtp_code} {reply}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return " ".join(text.split())[:ERROR_LIMIT]


def run_forever(interval: float = 5.0) -> None:
    """Send what is due every ``interval`` seconds until interrupted or sent SIGTERM."""
    logs.install(get_settings().log_level)
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():

        def _on_sigterm(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    log.info("mail worker started (every %g s)", interval)
    next_stuck_check = time.monotonic()
    try:
        while not stop.is_set():
            try:
                if time.monotonic() >= next_stuck_check:
                    warn_stuck()
                    next_stuck_check = time.monotonic() + STUCK_AFTER.total_seconds()
                send_due(stop=stop)
            except OperationalError as exc:
                # The database went away (restart, failover): keep the worker, try next time.
                log.warning("mail pass skipped, database unavailable (%s)", type(exc.orig).__name__)
            stop.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        log.info("mail worker stopped")
