"""Outbox delivery: send what is due, retry with back-off, erase personal data once sent.

Rows go out in batches of up to :data:`BATCH`, in three steps, and no transaction is open
while the SMTP server talks:

1. claim: a short transaction moves the batch to ``sending`` with a lease
   (``lease_until``), by a conditional UPDATE (plus ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL), so of several workers exactly one gets each row. A row of a round that
   has closed (or passed its deadline) is not claimed but cancelled: a reminder queued
   before a close and picked up after it never goes out;
2. send: each message goes to the server over the pass's one connection, outside any
   transaction (on SQLite a transaction would hold the one write lock, and every
   panelist's save with it, for the whole exchange); a failure is recorded on its row at
   once (back to ``pending`` with a back-off, or ``failed``);
3. mark: a second short transaction records the delivered rows as ``sent``, erasing the
   link, the address and the context. Claimed rows left unsent (a stop, or a batch that
   ran past half its lease) are handed back.

Two transactions per batch rather than per message: they were most of the worker's time.
A worker that dies between 1 and 3 leaves its rows ``sending`` until the lease runs out;
then any worker claims it again and sends it under the same Message-ID, so the server
may receive it twice but a receiver can recognise the second copy. Each claim counts as an
attempt, so a message that kills its worker every time is still given up in the end.
Logs carry outbox ids and counts only: never addresses, names, links or tokens.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CursorResult, and_, bindparam, exists, or_, select, update
from sqlalchemy.sql import ColumnElement

from app.config import Settings, get_settings
from app.db import unit_of_work
from app.mail import backends, render
from app.mail.outbox import ERASED
from app.models import Outbox, OutboxState, Round, RoundState
from app.models.base import utcnow
from app.security import unseal

log = logging.getLogger("app.mail")

# Doubling from 30 s rides out a relay restart within a minute or two; the 1 h cap keeps a
# long outage from pushing invitations hours past the moment SMTP comes back.
RETRY_BASE = dt.timedelta(seconds=30)
RETRY_CAP = dt.timedelta(hours=1)
# last_error is for an operator's eye; a server's full reply adds nothing past this.
ERROR_LIMIT = 500
ROUND_OVER = "round closed"
# Rows claimed and marked together: the most a crash can leave to be sent twice.
BATCH = 25


@dataclass(frozen=True)
class SendResult:
    """What one pass did: delivered, given up on, and left to retry later.

    ``due`` is how many due rows the pass looked at, including those another worker
    claimed first: a pass that found its full limit may have left more behind.
    """

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    due: int = field(default=0, compare=False)


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, ... up to 1 h."""
    # Doubling stops well past the cap: a large attempt count would overflow timedelta.
    doublings = min(max(attempts, 1) - 1, 16)
    return min(RETRY_BASE * (1 << doublings), RETRY_CAP)


def _due(now: dt.datetime) -> ColumnElement[bool]:
    """Rows to send now: queued and due, or claimed by a worker whose lease has run out."""
    return or_(
        and_(Outbox.state == OutboxState.PENDING, Outbox.next_attempt_at <= now),
        and_(Outbox.state == OutboxState.SENDING, Outbox.lease_until <= now),
    )


def _round_over(now: dt.datetime) -> ColumnElement[bool]:
    """The row belongs to a round that no longer takes answers."""
    return exists(
        select(Round.id).where(
            Round.id == Outbox.round_id,
            or_(Round.state != RoundState.OPEN, Round.deadline <= now),
        )
    )


def send_due(
    *, now: dt.datetime | None = None, limit: int = 100, stop: threading.Event | None = None
) -> SendResult:
    """One pass: try each row that is due (see :func:`_due`), oldest first.

    ``stop``, once set, ends the pass after the row in hand (a clean shutdown). A row the
    server accepted but that could not be marked sent stays ``sending`` until its lease
    runs out, and the error is raised: the database is in trouble and the rest of the
    pass would fare no better.
    """
    settings = get_settings()
    # Before any row is claimed: a refused configuration leaves the queue untouched.
    backend = backends.from_settings(settings)
    # SQLite stores datetimes without an offset; comparing in UTC keeps both databases right.
    now = (now or utcnow()).astimezone(dt.UTC)
    cancel_over(now)
    with unit_of_work() as session:
        ids = list(
            session.scalars(
                select(Outbox.id)
                .where(_due(now))
                # id breaks ties so rows queued in one launch go out in the order written.
                .order_by(Outbox.next_attempt_at, Outbox.id)
                .limit(limit)
            )
        )
    outcomes = {OutboxState.SENT: 0, OutboxState.FAILED: 0, OutboxState.PENDING: 0}
    if ids:
        with backend:
            for start in range(0, len(ids), BATCH):
                if stop is not None and stop.is_set():
                    break
                batch = _send_batch(ids[start : start + BATCH], backend, now, settings, stop)
                for outcome in batch:
                    outcomes[outcome] += 1
    result = SendResult(
        sent=outcomes[OutboxState.SENT],
        failed=outcomes[OutboxState.FAILED],
        retrying=outcomes[OutboxState.PENDING],
        due=len(ids),
    )
    log.log(
        logging.INFO if ids else logging.DEBUG,
        "mail pass: %d sent, %d failed, %d will retry",
        result.sent,
        result.failed,
        result.retrying,
    )
    return result


def cancel_over(now: dt.datetime) -> int:
    """Cancel the due rows of rounds that have closed or passed their deadline."""
    with unit_of_work() as session:
        result = session.execute(
            update(Outbox)
            .where(_due(now), Outbox.round_id.is_not(None), _round_over(now))
            .values(state=OutboxState.CANCELLED, last_error=ROUND_OVER, lease_until=None, **ERASED)
            .execution_options(synchronize_session=False)
        )
    count = int(result.rowcount) if isinstance(result, CursorResult) else 0
    if count:
        log.info("cancelled %d outbox rows of rounds that have closed", count)
    return count


def _send_batch(
    row_ids: list[int],
    backend: backends.Backend,
    now: dt.datetime,
    settings: Settings,
    stop: threading.Event | None,
) -> list[OutboxState]:
    """Claim, send and mark the rows of one batch; the outcome of each row this worker had."""
    rows = _claim(row_ids, now, settings)
    # Past half the lease the rest is handed back rather than risk a second worker
    # claiming a row this one is about to send (a server answering each message slowly).
    give_back_at = time.monotonic() + settings.mail_lease / 2
    outcomes: list[OutboxState] = []
    delivered: list[int] = []
    unsent: list[Outbox] = []
    try:
        for row in rows:
            if (stop is not None and stop.is_set()) or time.monotonic() >= give_back_at:
                unsent.append(row)
                continue
            outcome = _send_one(row, backend, now, settings)
            if outcome == OutboxState.SENT:
                delivered.append(row.id)
            outcomes.append(outcome)
    finally:
        # Also when a failure could not be recorded: what the server took is marked.
        _mark_delivered(delivered)
    if unsent:
        _give_back(unsent)
    return outcomes


def _send_one(
    row: Outbox, backend: backends.Backend, now: dt.datetime, settings: Settings
) -> OutboxState:
    """Send one claimed row; ``SENT`` (marked by the caller) or the failure recorded."""
    if row.attempts > settings.mail_max_attempts:
        # Only a row whose workers died mid-send gets here: every attempt was a claim.
        _settle(row, {"state": OutboxState.FAILED, "last_error": _DIED, **ERASED})
        log.warning("outbox %d failed for good: its workers stopped mid-send", row.id)
        return OutboxState.FAILED
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
    log.debug("outbox %d sent", row.id)
    return OutboxState.SENT


def _mark_delivered(row_ids: list[int]) -> None:
    if not row_ids:
        return
    try:
        _mark_sent(row_ids)
    except Exception:
        for row_id in row_ids:
            _log_unsettled(row_id, "was handed to the mail server but could not be marked sent")
        raise


_DIED = "the worker sending it stopped before it could record the outcome, every attempt"


def _log_unsettled(row_id: int, what: str) -> None:
    log.error(
        "outbox %d %s; it stays 'sending' until its lease runs out, then it is sent again "
        "under the same Message-ID",
        row_id,
        what,
    )


def _claim(row_ids: list[int], now: dt.datetime, settings: Settings) -> list[Outbox]:
    """Take those of the rows still due for this worker, in one transaction; in id order."""
    due = (
        select(Outbox.id)
        .where(
            Outbox.id.in_(row_ids),
            _due(now),
            or_(Outbox.round_id.is_(None), ~_round_over(now)),
        )
        # PostgreSQL skips a row another worker is claiming this instant instead of waiting
        # for it; SQLite has no row locks (nothing is rendered) and runs one writer at a time.
        .with_for_update(skip_locked=True)
    )
    claimed_at = utcnow()
    with unit_of_work() as session:
        reclaim = set(
            session.scalars(
                select(Outbox.id).where(Outbox.id.in_(row_ids), Outbox.state == OutboxState.SENDING)
            )
        )
        ids = sorted(
            session.scalars(
                update(Outbox)
                # The due test is the claim itself: of two racing workers, one changes the
                # row (state or lease) and the other's UPDATE then matches nothing.
                .where(Outbox.id.in_(due), _due(now))
                .values(
                    state=OutboxState.SENDING,
                    claimed_at=claimed_at,
                    lease_until=claimed_at + dt.timedelta(seconds=settings.mail_lease),
                    attempts=Outbox.attempts + 1,
                )
                .returning(Outbox.id)
                .execution_options(synchronize_session=False)
            )
        )
        if not ids:
            return []
        # Kept from an earlier attempt, so a retry carries the same Message-ID.
        # One statement run for many parameter sets (executemany), at the Core level.
        session.connection().execute(
            update(Outbox)
            .where(Outbox.id == bindparam("row_id"), Outbox.message_id.is_(None))
            .values(message_id=bindparam("new_id")),
            [{"row_id": i, "new_id": render.message_id(i, settings.mail_from)} for i in ids],
        )
        for row_id in sorted(reclaim.intersection(ids)):
            log.warning(
                "outbox %d: the worker sending it stopped (its lease ran out); sending it "
                "again under the same Message-ID",
                row_id,
            )
        # Loaded after the claim and returned detached (the factory does not expire on commit).
        return list(session.scalars(select(Outbox).where(Outbox.id.in_(ids)).order_by(Outbox.id)))


def _give_back(rows: list[Outbox]) -> None:
    """Return claimed rows this worker did not try to send: pending again, the claim undone."""
    with unit_of_work() as session:
        for row in rows:
            session.execute(
                update(Outbox)
                .where(
                    Outbox.id == row.id,
                    Outbox.state == OutboxState.SENDING,
                    Outbox.attempts == row.attempts,
                )
                .values(state=OutboxState.PENDING, attempts=row.attempts - 1, lease_until=None)
                .execution_options(synchronize_session=False)
            )


def _settle(row: Outbox, values: dict[str, Any]) -> bool:
    """Record the outcome of this worker's attempt, unless another worker has the row now."""
    with unit_of_work() as session:
        result = session.execute(
            update(Outbox)
            # attempts fences off a worker whose lease ran out and whose row was taken over.
            .where(
                Outbox.id == row.id,
                Outbox.state == OutboxState.SENDING,
                Outbox.attempts == row.attempts,
            )
            .values(lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
    return isinstance(result, CursorResult) and result.rowcount == 1


def _mark_sent(row_ids: list[int]) -> None:
    """Record the deliveries and erase what the rows no longer need: link, address, context."""
    with unit_of_work() as session:
        session.execute(
            update(Outbox)
            # Not fenced: whichever worker delivered it, the message went out.
            .where(
                Outbox.id.in_(row_ids),
                Outbox.state.in_((OutboxState.SENDING, OutboxState.CANCELLED)),
            )
            .values(
                state=OutboxState.SENT,
                sent_at=utcnow(),
                last_error=None,
                lease_until=None,
                **ERASED,
            )
            .execution_options(synchronize_session=False)
        )


def _record_failure(
    row: Outbox, exc: Exception, link: str | None, now: dt.datetime, settings: Settings
) -> OutboxState:
    """Count the failed attempt: back to pending after a back-off, or failed for good."""
    attempts = row.attempts
    values: dict[str, Any] = {"last_error": _describe(exc, secrets=[link, row.to_address])}
    delay = retry_delay(attempts)
    gave_up = attempts >= settings.mail_max_attempts
    if gave_up:
        # Neither the link nor the address outlives the attempt to deliver them.
        values |= {"state": OutboxState.FAILED, **ERASED}
    else:
        values |= {"state": OutboxState.PENDING, "next_attempt_at": now + delay}
    _settle(row, values)
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


def requeue(*, older_than: dt.timedelta = dt.timedelta(0), now: dt.datetime | None = None) -> int:
    """End the lease of rows claimed at least ``older_than`` ago, so the next pass sends them.

    For an operator who knows the worker is gone and does not want to wait out the lease;
    a row whose worker is in fact still sending may then reach its recipient twice (with
    the same Message-ID).
    """
    now = (now or utcnow()).astimezone(dt.UTC)
    with unit_of_work() as session:
        result = session.execute(
            update(Outbox)
            .where(
                Outbox.state == OutboxState.SENDING,
                or_(Outbox.claimed_at.is_(None), Outbox.claimed_at <= now - older_than),
                or_(Outbox.lease_until.is_(None), Outbox.lease_until > now),
            )
            .values(lease_until=now)
            .execution_options(synchronize_session=False)
        )
    count = int(result.rowcount) if isinstance(result, CursorResult) else 0
    if count:
        log.warning("ended the lease of %d outbox rows left in 'sending'", count)
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
