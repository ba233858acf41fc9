"""Who is invited (Panelist) and who answers (Respondent), kept apart on purpose.

A Respondent's key is an HMAC of the panelist id under the server secret; there is
no foreign key between the two tables, so the database alone cannot join them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, RandomIdMixin, utcnow


class Panelist(IdMixin, Base):
    """Someone invited to a study.

    A removed panelist keeps the row with the email and name erased (``removed_at`` set):
    the rounds they were invited to still count them, and their group stays for the
    per-group response rates. Nothing in the row identifies them any longer.
    """

    __tablename__ = "panelist"
    __table_args__ = (UniqueConstraint("survey_id", "email"),)

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    # NULL once removed (a unique constraint allows any number of NULLs).
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    stakeholder_group: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[dt.datetime | None]


class Respondent(RandomIdMixin, Base):
    __tablename__ = "respondent"

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    stakeholder_group: Mapped[str] = mapped_column(String(80))
