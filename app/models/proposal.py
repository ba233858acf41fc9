"""Statements proposed by panelists, curated by a facilitator."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, RandomIdMixin, str_enum


class ProposalState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"  # became a new statement
    MERGED = "merged"  # folded into an existing statement
    REJECTED = "rejected"


class Proposal(RandomIdMixin, Base):
    """A proposed statement, stored with no link to the panelist or respondent who wrote
    it: no respondent column, no date finer than the round, a random key."""

    __tablename__ = "proposal"

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    # The language of the page it was written on.
    language: Mapped[str] = mapped_column(String(16))
    state: Mapped[ProposalState] = mapped_column(
        str_enum(ProposalState, "proposal_state"), default=ProposalState.PENDING
    )
    # The statement it became (accepted) or was merged into.
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("statement.id", ondelete="SET NULL")
    )
    # Why it was rejected, in the facilitator's words.
    decision_note: Mapped[str | None] = mapped_column(Text)
