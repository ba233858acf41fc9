"""A Delphi study and its items: criteria, topics, statements."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IdMixin, str_enum, utcnow

# Text per language is stored as {"en": "...", "fr": "..."}.
Translations = dict[str, Any]


class CriterionKind(enum.StrEnum):
    RATING = "rating"  # each statement on a scale
    RANK = "rank"  # the statements of each topic put in order (all, or the top N)


class SurveyState(enum.StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"


class StatementOrigin(enum.StrEnum):
    SEEDED = "seeded"  # from the study file
    PROPOSED = "proposed"  # a panelist's proposal, accepted by a facilitator
    REWORDED = "reworded"  # a new version of its one parent
    SPLIT = "split"  # one of several parts of its one parent
    MERGED = "merged"  # joins its several parents
    ADDED = "added"  # written by a facilitator between rounds


class StatementState(enum.StrEnum):
    ACTIVE = "active"
    CONSENSUS = "consensus"
    DROPPED = "dropped"
    # Replaced by a reword, split or merge: never on a round again, keeps its ratings.
    SUPERSEDED = "superseded"


class SurveyMode(enum.StrEnum):
    ROUNDS = "rounds"
    # One long open period: feedback follows each answer, checkpoints freeze snapshots.
    REALTIME = "realtime"


class Survey(IdMixin, Base):
    __tablename__ = "survey"

    key: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[Translations]
    description: Mapped[Translations]
    languages: Mapped[list[Any]]
    stakeholder_groups: Mapped[list[Any]]
    min_group_size: Mapped[int] = mapped_column(default=5)
    method: Mapped[dict[str, Any]]
    stopping: Mapped[dict[str, Any]]
    # Scheduled reminders: days before a round's deadline, e.g. [7, 2, 0].
    reminder_days: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    # Invite to each round panelists who did not submit the one before (on by default:
    # re-inviting non-responders raises response and guards against false consensus).
    reinvite_non_responders: Mapped[bool] = mapped_column(default=True, server_default=true())
    # A text missing in one of the languages is shown in the default language (marked as
    # such) rather than refused: at import, and when a changed statement launches a round.
    translation_fallbacks: Mapped[bool] = mapped_column(default=False, server_default=false())
    # {"reasons_per_band": int, "groups": bool}: how many reasons the next round shows
    # per band; whether panelists also see last round's figures per stakeholder group.
    feedback: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # {"in_rounds": bool}: a "propose a statement" box per topic on every rating round.
    proposals: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[SurveyState] = mapped_column(
        str_enum(SurveyState, "survey_state"), default=SurveyState.ACTIVE
    )
    mode: Mapped[SurveyMode] = mapped_column(
        str_enum(SurveyMode, "survey_mode"), default=SurveyMode.ROUNDS, server_default="rounds"
    )
    # {"feedback_after": int, "checkpoint_every_hours": int | None}: real-time settings.
    realtime: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    definition: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    # Rating criteria: what every statistic of a scale is computed on.
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="survey",
        primaryjoin=lambda: and_(
            Criterion.survey_id == Survey.id, Criterion.kind == CriterionKind.RATING
        ),
        order_by="Criterion.position",
        cascade="all, delete-orphan",
        overlaps="rank_criteria",
    )
    # Ranking questions, positioned after the rating criteria (see ``answer_criteria``).
    rank_criteria: Mapped[list[Criterion]] = relationship(
        primaryjoin=lambda: and_(
            Criterion.survey_id == Survey.id, Criterion.kind == CriterionKind.RANK
        ),
        order_by="Criterion.position",
        cascade="all, delete-orphan",
        overlaps="criteria,survey",
    )
    topics: Mapped[list[Topic]] = relationship(
        back_populates="survey", order_by="Topic.position", cascade="all, delete-orphan"
    )
    statements: Mapped[list[Statement]] = relationship(
        back_populates="survey", order_by="Statement.position", cascade="all, delete-orphan"
    )

    @property
    def answer_criteria(self) -> list[Criterion]:
        """Every criterion in answer-set order: the rating criteria, then the ranking ones."""
        return [*self.criteria, *self.rank_criteria]

    @property
    def max_rounds(self) -> int:
        """The stopping rule's last round (3 unless the study says otherwise)."""
        return int(self.stopping.get("max_rounds", 3))

    @property
    def default_language(self) -> str:
        return str(self.languages[0])

    @property
    def is_realtime(self) -> bool:
        return self.mode == SurveyMode.REALTIME

    @property
    def feedback_after(self) -> int:
        """Real-time: answers a statement needs before anyone sees its feedback (at least k)."""
        return max(int(self.realtime.get("feedback_after", 5)), self.min_group_size)

    @property
    def reasons_per_band(self) -> int:
        """Reasons the next round shows per band and criterion (2 unless the study says)."""
        return int(self.feedback.get("reasons_per_band", 2))

    @property
    def group_feedback(self) -> bool:
        """Whether panelists see last round's figures per stakeholder group (k applies)."""
        return bool(self.feedback.get("groups", False))

    @property
    def proposals_in_rounds(self) -> bool:
        """Whether rating rounds carry a "propose a statement" box per topic."""
        return bool(self.proposals.get("in_rounds", False))

    def text(self, translations: Translations, language: str | None = None) -> str:
        """``translations`` in ``language``, falling back to the study's first language."""
        return str(translations[self.text_language(translations, language)])

    def text_language(self, translations: Translations, language: str | None = None) -> str:
        """The language :meth:`text` shows ``translations`` in for ``language``."""
        if language and translations.get(language):
            return language
        if translations.get(self.default_language):
            return self.default_language
        return next(iter(translations))

    def group_label(self, key: str, language: str | None = None) -> str:
        for group in self.stakeholder_groups:
            if group["key"] == key:
                return self.text(group["label"], language)
        return key


class Criterion(IdMixin, Base):
    __tablename__ = "criterion"
    __table_args__ = (UniqueConstraint("survey_id", "key"),)

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    label: Mapped[Translations]
    question: Mapped[Translations]
    scale_low: Mapped[int]
    scale_high: Mapped[int]
    anchors: Mapped[dict[str, Any]]
    agree_low: Mapped[int]
    agree_high: Mapped[int]
    disagree_low: Mapped[int]
    disagree_high: Mapped[int]
    consensus_rule: Mapped[dict[str, Any] | None]
    kind: Mapped[CriterionKind] = mapped_column(
        str_enum(CriterionKind, "criterion_kind"),
        default=CriterionKind.RATING,
        server_default=CriterionKind.RATING.value,
    )
    # A ranking's top N (positions 1..N, the rest unplaced); ``None``: order them all.
    rank_top: Mapped[int | None]

    survey: Mapped[Survey] = relationship(back_populates="criteria", overlaps="rank_criteria")

    @property
    def points(self) -> list[int]:
        return list(range(self.scale_low, self.scale_high + 1))


class Topic(IdMixin, Base):
    __tablename__ = "topic"
    __table_args__ = (UniqueConstraint("survey_id", "key"),)

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    title: Mapped[Translations]

    survey: Mapped[Survey] = relationship(back_populates="topics")
    statements: Mapped[list[Statement]] = relationship(
        back_populates="topic", order_by="Statement.position"
    )


statement_parent = Table(
    "statement_parent",
    Base.metadata,
    Column("statement_id", ForeignKey("statement.id", ondelete="CASCADE"), primary_key=True),
    Column("parent_id", ForeignKey("statement.id", ondelete="CASCADE"), primary_key=True),
)


class Statement(IdMixin, Base):
    """One version of a statement. Its text never changes once a round has rated it: a
    reword is a new version (same key, next number), a split or merge new statements,
    each linked to the versions it came from (``parents``)."""

    __tablename__ = "statement"
    __table_args__ = (UniqueConstraint("survey_id", "key", "version"),)

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(default=1)
    position: Mapped[int]
    text: Mapped[Translations]
    origin: Mapped[StatementOrigin] = mapped_column(
        str_enum(StatementOrigin, "statement_origin"), default=StatementOrigin.SEEDED
    )
    state: Mapped[StatementState] = mapped_column(
        str_enum(StatementState, "statement_state"), default=StatementState.ACTIVE
    )
    # The facilitator's reason for dropping it (``None`` unless dropped by hand).
    drop_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="statements")
    topic: Mapped[Topic] = relationship(back_populates="statements")
    parents: Mapped[list[Statement]] = relationship(
        secondary=statement_parent,
        primaryjoin=lambda: Statement.id == statement_parent.c.statement_id,
        secondaryjoin=lambda: Statement.id == statement_parent.c.parent_id,
        order_by=lambda: Statement.position,
    )

    @property
    def label(self) -> str:
        """The key, with the version from the second on: ``cyber-01``, ``cyber-01 v2``."""
        return self.key if self.version == 1 else f"{self.key} v{self.version}"
