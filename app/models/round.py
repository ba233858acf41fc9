"""Rounds, the statements on them, access links, answers and the frozen results."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IdMixin, RandomIdMixin, str_enum, today, utcnow
from app.models.survey import Statement


class RoundState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class AnswerKind(enum.StrEnum):
    """A draft is what the panelist is working on; submitted is what the round counts."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class Round(IdMixin, Base):
    __tablename__ = "round"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    number: Mapped[int]
    state: Mapped[RoundState] = mapped_column(str_enum(RoundState, "round_state"))
    deadline: Mapped[dt.datetime | None]
    opened_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    items: Mapped[list[RoundItem]] = relationship(
        back_populates="round", order_by="RoundItem.position", cascade="all, delete-orphan"
    )


class RoundItem(IdMixin, Base):
    __tablename__ = "round_item"
    __table_args__ = (UniqueConstraint("round_id", "statement_id"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    position: Mapped[int]

    round: Mapped[Round] = relationship(back_populates="items")
    statement: Mapped[Statement] = relationship()


class AccessLink(IdMixin, Base):
    """A bearer link for one panelist and one round; only the token's hash is stored."""

    __tablename__ = "access_link"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    panelist_id: Mapped[int] = mapped_column(ForeignKey("panelist.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A day, not a time: reminder links must not date who had not answered yet.
    created_on: Mapped[dt.date] = mapped_column(Date, default=today)


class Submission(RandomIdMixin, Base):
    """Per respondent and round: whether the answers were submitted, with day-coarse dates."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("round_id", "respondent_id"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("respondent.id", ondelete="CASCADE")
    )
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    updated_on: Mapped[dt.date] = mapped_column(Date, default=today)


class Response(RandomIdMixin, Base):
    """A rating (or "cannot judge") of one statement on one criterion."""

    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("round_id", "respondent_id", "statement_id", "criterion_id", "kind"),
    )

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("respondent.id", ondelete="CASCADE")
    )
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"))
    kind: Mapped[AnswerKind] = mapped_column(str_enum(AnswerKind, "answer_kind"))
    rating: Mapped[int | None]
    cannot_judge: Mapped[bool] = mapped_column(default=False)
    answered_on: Mapped[dt.date] = mapped_column(Date, default=today)


class Reason(RandomIdMixin, Base):
    """A panelist's free-text reason for their ratings of one statement."""

    __tablename__ = "reason"
    __table_args__ = (UniqueConstraint("round_id", "respondent_id", "statement_id", "kind"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("respondent.id", ondelete="CASCADE")
    )
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    kind: Mapped[AnswerKind] = mapped_column(str_enum(AnswerKind, "answer_kind"))
    text: Mapped[str] = mapped_column(Text)
    answered_on: Mapped[dt.date] = mapped_column(Date, default=today)


class RoundSnapshot(IdMixin, Base):
    """The engine's output for a closed round: written once, never recomputed in place."""

    __tablename__ = "round_snapshot"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), unique=True)
    engine_version: Mapped[str] = mapped_column(String(40))
    method: Mapped[dict[str, Any]]
    invited: Mapped[int]
    responded: Mapped[int]
    # {"statements": [{"statement_id", "key", "criteria": {key: record}, "consensus": bool,
    #   "outcome": "consensus" | "carried" | "stable", ...}]}
    results: Mapped[dict[str, Any]]
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
