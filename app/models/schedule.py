"""Scheduled work the background worker does at a given time: reminders before a deadline.

Closing a round at its deadline needs no row of its own: the round's ``deadline`` is the
schedule (see ``app.schedule``).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, str_enum, utcnow


class JobState(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    # Not run: its round had closed, or a later reminder of the same round was due too.
    SKIPPED = "skipped"
    # Replaced: the deadline moved, so its time was computed for a deadline that is gone.
    CANCELLED = "cancelled"


class ScheduledReminder(IdMixin, Base):
    """One reminder to a round's non-submitters, due at ``due_at``; run once."""

    __tablename__ = "scheduled_reminder"
    __table_args__ = (Index("ix_scheduled_reminder_state_due_at", "state", "due_at"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    days_before: Mapped[int]
    due_at: Mapped[dt.datetime]
    state: Mapped[JobState] = mapped_column(
        str_enum(JobState, "job_state"), default=JobState.PENDING
    )
    # How many reminders it queued (a count, never who).
    reminded: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    done_at: Mapped[dt.datetime | None]
