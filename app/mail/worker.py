"""The outbox worker: send what is due, retry with back-off, erase links once sent.

Each row is claimed, sent and marked in one short transaction of its own. On PostgreSQL
the claim is ``SELECT ... FOR UPDATE SKIP LOCKED``, so several workers share the queue
and none sends a row another is holding or has sent. Logs carry outbox ids and counts
only: never addresses, names, links or tokens.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import smtplib
import threading
from dataclasses import dataclass
from types import FrameType

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

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

    ``stop``, once set, ends the pass after the row in hand (a clean shutdown).
    """
    settings = get_settings()
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
        with backends.from_settings(settings) as backend:
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
    with unit_of_work() as session:
        row = _claim(session, row_id, now)
        if row is None:
            return None
        link: str | None = None
        try:
            link = unseal(row.secret) if row.secret else None
            message = render.compose(row, link=link, sender=settings.mail_from)
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
            _record_failure(row, exc, link, now, settings.mail_max_attempts)
            return row.state
        row.state = OutboxState.SENT
        row.sent_at = utcnow()
        row.message_id = message["Message-ID"]
        row.secret = None
        row.last_error = None
        log.debug("outbox %d sent", row.id)
        return row.state


def _claim(session: Session, row_id: int, now: dt.datetime) -> Outbox | None:
    if session.get_bind().dialect.name == "sqlite":
        # pysqlite begins a transaction only at the first write, so the SELECT alone would not
        # keep a second worker out; this no-op write takes SQLite's one write lock first.
        session.execute(
            update(Outbox)
            .where(Outbox.id == row_id)
            .values(attempts=Outbox.attempts)
            .execution_options(synchronize_session=False)
        )
    return session.scalar(
        select(Outbox)
        .where(
            Outbox.id == row_id,
            Outbox.state == OutboxState.PENDING,
            Outbox.next_attempt_at <= now,
        )
        .with_for_update(skip_locked=True)
    )


def _record_failure(
    row: Outbox, exc: Exception, link: str | None, now: dt.datetime, max_attempts: int
) -> None:
    row.attempts += 1
    row.last_error = _describe(exc, secrets=[link, row.to_address])
    if row.attempts >= max_attempts:
        row.state = OutboxState.FAILED
        # Given up on: the link must not outlive the attempt to deliver it.
        row.secret = None
        log.warning(
            "outbox %d failed for good after %d attempts (%s)",
            row.id,
            row.attempts,
            type(exc).__name__,
        )
    else:
        delay = retry_delay(row.attempts)
        row.next_attempt_at = now + delay
        log.warning(
            "outbox %d attempt %d failed (%s); next try in %d s",
            row.id,
            row.attempts,
            type(exc).__name__,
            delay.total_seconds(),
        )


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
    try:
        while not stop.is_set():
            try:
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
