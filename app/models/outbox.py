"""Every email is an outbox row written in the transaction of the action that caused it."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, str_enum, utcnow


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    # Claimed by a worker and being handed to SMTP; never picked up again automatically,
    # so a crash mid-send cannot send the message twice (see `delphi mail requeue`).
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Outbox(IdMixin, Base):
    __tablename__ = "outbox"

    kind: Mapped[str] = mapped_column(String(40))
    # Recipient and context are erased once the row is sent or has failed for good.
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
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
