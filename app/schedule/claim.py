"""How a job is taken by exactly one worker, on PostgreSQL with several and on SQLite.

Each job runs inside the transaction that claims it, so a worker that dies mid-job rolls
back and leaves the job for the next pass. On PostgreSQL the claiming row lock keeps the
other workers off it; on SQLite every transaction holds the one write lock from its start
(``BEGIN IMMEDIATE``), so workers take turns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import JobState, Round, RoundState, ScheduledReminder


def overdue_round(session: Session, now: dt.datetime, skip: Collection[int]) -> Round | None:
    """An open round past its deadline, locked until the transaction ends.

    ``FOR UPDATE`` waits rather than skips: an answer in flight holds the round FOR SHARE,
    and skipping would put the close off for as long as answers keep coming. A second
    worker waiting here finds the round closed once the first commits, and moves on.
    """
    return session.scalar(
        select(Round)
        .where(
            Round.state == RoundState.OPEN,
            Round.deadline.is_not(None),
            Round.deadline <= now,
            Round.id.not_in(skip),
        )
        .order_by(Round.deadline, Round.id)
        .limit(1)
        .with_for_update()
    )


def due_reminder(
    session: Session, now: dt.datetime, skip: Collection[int]
) -> ScheduledReminder | None:
    """A scheduled reminder that is due, locked; one another worker holds is skipped."""
    return session.scalar(
        select(ScheduledReminder)
        .where(
            ScheduledReminder.state == JobState.PENDING,
            ScheduledReminder.due_at <= now,
            ScheduledReminder.id.not_in(skip),
        )
        .order_by(ScheduledReminder.due_at, ScheduledReminder.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def later_due(session: Session, job: ScheduledReminder, now: dt.datetime) -> bool:
    """Whether a later reminder of the same round is due too (the worker was down)."""
    return (
        session.scalar(
            select(ScheduledReminder.id).where(
                ScheduledReminder.round_id == job.round_id,
                ScheduledReminder.state == JobState.PENDING,
                ScheduledReminder.due_at > job.due_at,
                ScheduledReminder.due_at <= now,
            )
        )
        is not None
    )
