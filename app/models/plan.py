"""The pre-registered analysis plan of a study and its amendments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IdMixin, utcnow


class AnalysisPlan(IdMixin, Base):
    """The definitions a study's results are judged by, frozen when round 1 launches.

    ``content`` holds the consensus rules, stopping rule, quantile method, handling of
    "cannot judge", k and the number of rounds; ``content_hash`` is the SHA-256 of its
    canonical JSON at freezing. Later changes are :class:`PlanAmendment` rows; the
    current settings are ``content`` with the amendments applied (the last one's hash).
    """

    __tablename__ = "analysis_plan"

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), unique=True)
    content: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    frozen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    frozen_by: Mapped[str] = mapped_column(String(320))

    amendments: Mapped[list[PlanAmendment]] = relationship(
        back_populates="plan", order_by="PlanAmendment.id", cascade="all, delete-orphan"
    )


class PlanAmendment(IdMixin, Base):
    """A change to a frozen plan: who, when, why, and each setting before and after."""

    __tablename__ = "plan_amendment"

    plan_id: Mapped[int] = mapped_column(ForeignKey("analysis_plan.id", ondelete="CASCADE"))
    amended_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text)
    # [{"setting": "criteria.importance.consensus", "before": ..., "after": ...}]
    changes: Mapped[list[Any]]
    # SHA-256 of the plan's content after this amendment.
    content_hash: Mapped[str] = mapped_column(String(64))

    plan: Mapped[AnalysisPlan] = relationship(back_populates="amendments")
