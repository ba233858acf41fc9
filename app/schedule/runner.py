"""The background worker, ``delphi worker``: scheduled jobs, then the outbox, every few seconds.

Jobs run first in each pass, so a round whose deadline has passed is closed (and its
unsent mail cancelled) before the outbox is looked at. Any number of workers may run
against PostgreSQL; each job and each mail is claimed by one (see ``app.schedule.claim``
and ``app.mail.worker``). On SQLite run one.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from dataclasses import dataclass
from types import FrameType

from sqlalchemy.exc import OperationalError

from app import logs
from app.config import get_settings
from app.mail import backends
from app.mail import worker as mail
from app.realtime import checkpoints
from app.schedule import jobs

log = logging.getLogger("app.schedule")
PASS_LIMIT = 100


@dataclass(frozen=True)
class PassResult:
    """What one pass did."""

    closed: int = 0
    reminders: int = 0
    checkpoints: int = 0
    mail: mail.SendResult = mail.SendResult()


def deliver(
    *, now: dt.datetime | None = None, stop: threading.Event | None = None
) -> mail.SendResult:
    """Send everything due, ``PASS_LIMIT`` rows at a time."""
    sent = failed = retrying = 0
    while stop is None or not stop.is_set():
        result = mail.send_due(now=now, limit=PASS_LIMIT, stop=stop)
        sent, failed, retrying = (
            sent + result.sent,
            failed + result.failed,
            retrying + result.retrying,
        )
        # A full batch may have more behind it (some of it taken by other workers).
        if result.due < PASS_LIMIT:
            break
    return mail.SendResult(sent=sent, failed=failed, retrying=retrying)


def run_once(*, now: dt.datetime | None = None, stop: threading.Event | None = None) -> PassResult:
    """Close overdue rounds, run due reminders and checkpoints, deliver the outbox."""
    closed = jobs.close_overdue(now)
    reminders = jobs.run_reminders(now)
    taken = checkpoints.run_scheduled(now)
    return PassResult(
        closed=closed, reminders=reminders, checkpoints=taken, mail=deliver(now=now, stop=stop)
    )


def run_forever(interval: float | None = None, stop: threading.Event | None = None) -> None:
    """Run a pass every ``interval`` seconds until ``stop`` is set, SIGTERM or Ctrl-C."""
    settings = get_settings()
    logs.install(settings.log_level)
    # A refused mail configuration stops the worker at once, with the reason.
    backends.from_settings(settings)
    interval = interval or settings.worker_interval
    stop = stop or threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():

        def _on_sigterm(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    log.info("worker started (every %g s)", interval)
    try:
        while not stop.is_set():
            try:
                run_once(stop=stop)
            except OperationalError as exc:
                # The database went away (restart, failover): keep the worker, try next time.
                log.warning("pass skipped, database unavailable (%s)", type(exc.orig).__name__)
            stop.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        log.info("worker stopped")
