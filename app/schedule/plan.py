"""When a round's reminders are due, written down at launch and whenever the deadline moves.

A reminder "``d`` days before" is due at 00:00 UTC on the day ``d`` days before the
deadline's day (UTC), so ``0`` is the deadline's own day. One that would fall before now
(the round opened later) or not before the deadline is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.mail import outbox
from app.models import JobState, Round, ScheduledReminder, Survey
from app.models.base import utcnow


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC datetime (SQLite hands them back without the offset)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def reminder_times(
    deadline: dt.datetime, days_before: Iterable[int]
) -> list[tuple[int, dt.datetime]]:
    """``(days before, due at)`` for each setting, earliest first."""
    deadline = as_utc(deadline)
    times = []
    for days in sorted(set(days_before), reverse=True):
        day = deadline.date() - dt.timedelta(days=days)
        due = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
        if due < deadline:
            times.append((days, due))
    return times


def plan(
    session: Session, survey: Survey, round_: Round, *, now: dt.datetime | None = None
) -> list[ScheduledReminder]:
    """Write the round's reminders still to come (none without a deadline)."""
    if round_.deadline is None or not survey.reminder_days:
        return []
    now = as_utc(now or utcnow())
    jobs = [
        ScheduledReminder(round_id=round_.id, days_before=days, due_at=due)
        for days, due in reminder_times(round_.deadline, survey.reminder_days)
        if due > now
    ]
    session.add_all(jobs)
    session.flush()
    return jobs


def cancel(session: Session, round_id: int) -> None:
    """Cancel the round's reminders that have not run."""
    session.execute(
        update(ScheduledReminder)
        .where(ScheduledReminder.round_id == round_id, ScheduledReminder.state == JobState.PENDING)
        .values(state=JobState.CANCELLED, done_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )


def replan(
    session: Session, survey: Survey, round_: Round, *, now: dt.datetime | None = None
) -> list[ScheduledReminder]:
    """The deadline moved: the reminders not yet run make way for the new deadline's."""
    cancel(session, round_.id)
    return plan(session, survey, round_, now=now)


def round_closed(session: Session, round_id: int) -> None:
    """A round closed: nothing scheduled for it runs, none of its unsent mail goes out."""
    cancel(session, round_id)
    outbox.cancel_for_round(session, round_id)
