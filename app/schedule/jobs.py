"""The scheduled jobs: close rounds whose deadline has passed, send due reminders."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Transactions, read_session, unit_of_work
from app.errors import DomainError
from app.models import JobState, Round, RoundSnapshot, RoundState, ScheduledReminder, Survey
from app.models.base import utcnow
from app.rounds import service as rounds
from app.schedule import claim
from app.schedule.plan import as_utc

log = logging.getLogger("app.schedule")
ACTOR = "scheduler"


# A close that has marked its round but not stored the results is given this long to
# finish on its own before the worker completes it.
UNFINISHED_AFTER = dt.timedelta(minutes=2)


def close_overdue(now: dt.datetime | None = None) -> int:
    """Close every open round whose deadline has passed; how many.

    Each close is the very one a facilitator runs (``close_promptly``'s steps): the round
    is marked closed in the transaction that claimed it, then its results are computed
    outside any lock and stored. Rounds left closed without results (a process that
    stopped halfway) are completed too.
    """
    now = as_utc(now or utcnow())
    failed: set[int] = set()
    closed = 0
    while True:
        round_id: int | None = None
        try:
            with unit_of_work() as session:
                round_ = claim.overdue_round(session, now, failed)
                if round_ is None:
                    break
                round_id, survey_id, number = round_.id, round_.survey_id, round_.number
                rounds.mark_closed(session, session.get_one(Survey, survey_id), round_, actor=ACTOR)
            snapshot = rounds.complete(Transactions(), survey_id, number)
            log.info(
                "round %d of study %d closed at its deadline: %d of %d responded",
                number,
                survey_id,
                snapshot.responded,
                snapshot.invited,
            )
            closed += 1
        except DomainError as exc:  # closed by someone else in between: nothing to do
            if round_id is None:
                raise
            log.info("round %d not closed by the scheduler: %s", round_id, exc.message)
            failed.add(round_id)
        except Exception:
            if round_id is None:  # finding a round failed (the database): the pass ends
                raise
            # The next pass tries again (a round marked closed is completed below then).
            log.exception("closing round %d at its deadline failed", round_id)
            failed.add(round_id)
    return closed + complete_unfinished()


def complete_unfinished() -> int:
    """Compute the results of rounds closed long enough ago that still have none.

    Judged on the real clock, which ``closed_at`` was written with.
    """
    cutoff = utcnow() - UNFINISHED_AFTER
    with read_session() as session:
        pending = session.execute(
            select(Round.survey_id, Round.number)
            .outerjoin(RoundSnapshot, RoundSnapshot.round_id == Round.id)
            .where(
                Round.state == RoundState.CLOSED,
                RoundSnapshot.id.is_(None),
                Round.closed_at <= cutoff,
            )
        ).all()
    done = 0
    for survey_id, number in pending:
        try:
            rounds.complete(Transactions(), survey_id, number)
            done += 1
        except DomainError as exc:  # another worker got there first
            log.info("round %d of study %d not completed: %s", number, survey_id, exc.message)
        except Exception:  # the next pass tries again
            log.exception("completing round %d of study %d failed", number, survey_id)
    return done


def run_reminders(now: dt.datetime | None = None) -> int:
    """Run every due scheduled reminder, each once, in its own transaction; how many ran."""
    now = as_utc(now or utcnow())
    failed: set[int] = set()
    ran = 0
    while True:
        job_id: int | None = None
        try:
            with unit_of_work() as session:
                job = claim.due_reminder(session, now, failed)
                if job is None:
                    return ran
                job_id = job.id
                _remind(session, job, now)
            ran += 1
        except Exception:
            if job_id is None:  # finding a job failed (the database): the pass ends
                raise
            log.exception("scheduled reminder %d failed", job_id)
            failed.add(job_id)


def _remind(session: Session, job: ScheduledReminder, now: dt.datetime) -> None:
    round_ = session.get(Round, job.round_id)
    assert round_ is not None  # the foreign key says so
    job.done_at = utcnow()
    deadline = as_utc(round_.deadline) if round_.deadline else None
    if round_.state != RoundState.OPEN or (deadline is not None and deadline <= now):
        job.state = JobState.SKIPPED
        return
    if claim.later_due(session, job, now):
        # The worker was down past several: only the latest one goes out.
        job.state = JobState.SKIPPED
        return
    survey = session.get(Survey, round_.survey_id)
    assert survey is not None
    job.reminded = rounds.remind(session, survey, round_, actor=ACTOR)
    job.state = JobState.DONE
    log.info(
        "scheduled reminder %d (%d days before) queued %d reminders",
        job.id,
        job.days_before,
        job.reminded,
    )
