"""Rounds, the statements on them, access links, answers and the frozen results."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IdMixin, RandomIdMixin, str_enum, today, utcnow
from app.models.survey import Statement


class RoundState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


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
    # A real-time study's checkpoint: the live round whose answers it froze, and how many
    # answers that round had taken by then (two checkpoints of the same answers are one).
    checkpoint_of: Mapped[int | None] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), index=True
    )
    revisions: Mapped[int | None]

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
    """One respondent's answer sets for one round, with day-coarse dates.

    ``cells`` is the submitted set and ``draft_cells`` the working copy, each in the compact
    form of :mod:`app.answers.cells` (one 16-bit value per statement and criterion of the
    round). The submitted set is also written out as ``Response`` and ``Reason`` rows, the
    queryable record; the compact copy is what closing a round and the feedback read.
    """

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("round_id", "respondent_id"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("respondent.id", ondelete="CASCADE")
    )
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    updated_on: Mapped[dt.date] = mapped_column(Date, default=today)
    cells: Mapped[bytes | None] = mapped_column(LargeBinary)
    draft_cells: Mapped[bytes | None] = mapped_column(LargeBinary)
    # {statement id (as text): reason}; JSON object keys are strings.
    draft_reasons: Mapped[dict[str, Any] | None]
    # Ids of the previous round's reasons marked persuasive in the draft.
    draft_persuasive: Mapped[list[Any] | None]
    # {topic id (as text): proposed statement}: a proposal leaves the draft, and every link
    # to its writer, when the answers are submitted.
    draft_proposals: Mapped[dict[str, Any] | None]
    # Real-time studies: the blind first answer per cell, and per cell the flags of
    # app.answers.live (answer given with the panel's feedback in view, confirmed).
    first_cells: Mapped[bytes | None] = mapped_column(LargeBinary)
    live_flags: Mapped[bytes | None] = mapped_column(LargeBinary)


class AnswerRevision(RandomIdMixin, Base):
    """One answer given in a real-time study, first or revised: the anonymous history.

    No respondent: the rows say how answers moved, never whose (random ids, day dates).
    """

    __tablename__ = "answer_revision"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"))
    rating: Mapped[int | None]
    cannot_judge: Mapped[bool] = mapped_column(default=False)
    # A revision of an earlier answer (else the first), and whether the panel's feedback
    # on the statement was in view when it was given.
    revised: Mapped[bool] = mapped_column(default=False)
    informed: Mapped[bool] = mapped_column(default=False)
    answered_on: Mapped[dt.date] = mapped_column(Date, default=today)


class Response(RandomIdMixin, Base):
    """A submitted rating (or "cannot judge") of one statement on one criterion."""

    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("round_id", "respondent_id", "statement_id", "criterion_id"),
    )

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("respondent.id", ondelete="CASCADE")
    )
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"))
    rating: Mapped[int | None]
    cannot_judge: Mapped[bool] = mapped_column(default=False)
    answered_on: Mapped[dt.date] = mapped_column(Date, default=today)


class HiddenCause(enum.StrEnum):
    """Why a facilitator hid a reason from panelists and exports."""

    PERSONAL_DATA = "personal-data"
    ABUSIVE = "abusive"
    IDENTIFIES_SOMEONE = "identifies-someone"


class Reason(RandomIdMixin, Base):
    """A panelist's submitted free-text reason for their ratings of one statement.

    ``respondent_id`` is kept only so that a resubmission replaces it and the ratings it
    came with can be found; nothing that leaves the server carries it.
    """

    __tablename__ = "reason"
    __table_args__ = (UniqueConstraint("round_id", "respondent_id", "statement_id"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("respondent.id", ondelete="CASCADE")
    )
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    # The language of the page it was written on (``None`` for reasons older than that).
    language: Mapped[str | None] = mapped_column(String(16))
    answered_on: Mapped[dt.date] = mapped_column(Date, default=today)
    # Set when a facilitator hid it: panelists and exports no longer see it; nothing is
    # deleted and facilitators still read it, marked.
    hidden_cause: Mapped[HiddenCause | None] = mapped_column(str_enum(HiddenCause, "hidden_cause"))


class Endorsement(RandomIdMixin, Base):
    """A reason of the previous round shown to a panelist who submitted this round, and
    whether they marked it persuasive (argument strength). Replaced on resubmission."""

    __tablename__ = "endorsement"
    __table_args__ = (UniqueConstraint("round_id", "respondent_id", "reason_id"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("respondent.id", ondelete="CASCADE")
    )
    reason_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("reason.id", ondelete="CASCADE"), index=True
    )
    persuasive: Mapped[bool] = mapped_column(default=False)


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
