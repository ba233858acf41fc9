"""Every email is an outbox row written in the transaction of the action that caused it."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, str_enum, utcnow


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    # Claimed by a worker until ``lease_until``; a worker that dies leaves the lease to
    # run out, and any worker then claims the row again (same Message-ID).
    SENDING = "sending"
    SENT = "sent"
    # Given up after the last attempt; ``last_error`` says why.
    FAILED = "failed"
    # Never to be sent: its round closed, its panelist was removed or got a new link;
    # ``last_error`` says which.
    CANCELLED = "cancelled"


class Outbox(IdMixin, Base):
    __tablename__ = "outbox"
    # The worker looks for due rows by state and time; the console counts per round.
    __table_args__ = (Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),)

    kind: Mapped[str] = mapped_column(String(40))
    # The round and the panelist a mail is about (invitations, reminders), for cancelling
    # it when the round closes and for the panel page's delivery status. Neither says
    # anything about answers.
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), index=True
    )
    panelist_id: Mapped[int | None] = mapped_column(
        ForeignKey("panelist.id", ondelete="SET NULL"), index=True
    )
    # Recipient and context are erased once the row is sent, failed or cancelled.
    to_address: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(80))
    context: Mapped[dict[str, Any]]
    # The access link, encrypted under the server secret; erased once the mail is sent.
    secret: Mapped[str | None] = mapped_column(Text)
    state: Mapped[OutboxState] = mapped_column(
        str_enum(OutboxState, "outbox_state"),
        default=OutboxState.PENDING,
        index=True,
    )
    # Delivery attempts begun (claims), so a row that kills its worker every time still
    # reaches the maximum and is given up.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    # Until when the claiming worker owns a ``sending`` row.
    lease_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
