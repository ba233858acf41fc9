"""Statements proposed by panelists, curated by a facilitator."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, RandomIdMixin, str_enum, today


class SuggestionState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    MERGED = "merged"
    REJECTED = "rejected"


class Suggestion(RandomIdMixin, Base):
    __tablename__ = "suggestion"

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"))
    respondent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("respondent.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[SuggestionState] = mapped_column(
        str_enum(SuggestionState, "suggestion_state"),
        default=SuggestionState.PENDING,
    )
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statement.id"))
    proposed_on: Mapped[dt.date] = mapped_column(Date, default=today)
