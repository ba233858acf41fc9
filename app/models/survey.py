"""A Delphi study and its items: criteria, topics, statements."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IdMixin, str_enum, utcnow

# Text per language is stored as {"en": "...", "fr": "..."}.
Translations = dict[str, Any]


class SurveyState(enum.StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"


class StatementOrigin(enum.StrEnum):
    SEEDED = "seeded"
    PROPOSED = "proposed"
    REWORDED = "reworded"


class StatementState(enum.StrEnum):
    ACTIVE = "active"
    CONSENSUS = "consensus"
    DROPPED = "dropped"


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
    state: Mapped[SurveyState] = mapped_column(
        str_enum(SurveyState, "survey_state"), default=SurveyState.ACTIVE
    )
    definition: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="survey", order_by="Criterion.position", cascade="all, delete-orphan"
    )
    topics: Mapped[list[Topic]] = relationship(
        back_populates="survey", order_by="Topic.position", cascade="all, delete-orphan"
    )
    statements: Mapped[list[Statement]] = relationship(
        back_populates="survey", order_by="Statement.position", cascade="all, delete-orphan"
    )

    @property
    def max_rounds(self) -> int:
        """The stopping rule's last round (3 unless the study says otherwise)."""
        return int(self.stopping.get("max_rounds", 3))

    @property
    def default_language(self) -> str:
        return str(self.languages[0])

    def text(self, translations: Translations, language: str | None = None) -> str:
        """``translations`` in ``language``, falling back to the study's first language."""
        if language and translations.get(language):
            return str(translations[language])
        return str(translations.get(self.default_language) or next(iter(translations.values())))

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

    survey: Mapped[Survey] = relationship(back_populates="criteria")

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


class Statement(IdMixin, Base):
    __tablename__ = "statement"
    __table_args__ = (UniqueConstraint("survey_id", "key"),)

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    text: Mapped[Translations]
    origin: Mapped[StatementOrigin] = mapped_column(
        str_enum(StatementOrigin, "statement_origin"), default=StatementOrigin.SEEDED
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("statement.id"))
    state: Mapped[StatementState] = mapped_column(
        str_enum(StatementState, "statement_state"), default=StatementState.ACTIVE
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="statements")
    topic: Mapped[Topic] = relationship(back_populates="statements")
