"""Facilitator accounts, analyst API keys and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, utcnow


class Facilitator(IdMixin, Base):
    __tablename__ = "facilitator"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # None until an invited colleague sets a password through their one-time link.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Bumped on sign-out: sessions carrying an older version stop working everywhere.
    session_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiKey(IdMixin, Base):
    """An analyst key; the secret part is stored only as a SHA-256 hash."""

    __tablename__ = "api_key"

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    # The one study the key reads; None: every study (only the CLI makes such keys).
    survey_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[dt.datetime | None]
    # Day-coarse: recorded at most once a day, so it is no log of the analyst's requests.
    last_used_on: Mapped[dt.date | None]
    created_by: Mapped[str] = mapped_column(String(320), default="cli")


class AuditLog(IdMixin, Base):
    """Who did what to which study, when. Never ratings, never personal data."""

    __tablename__ = "audit_log"
    # Sign-in throttling counts recent failures per account on every attempt.
    __table_args__ = (Index("ix_audit_log_action_actor_at", "action", "actor", "at"),)

    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    facilitator_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilitator.id", ondelete="SET NULL")
    )
    # The trail outlives the study it describes.
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("survey.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict[str, Any]]
