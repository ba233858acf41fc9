"""Per-study roles of facilitator accounts, and one-time links that set a password."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, str_enum, utcnow


class Role(enum.StrEnum):
    """What an account may do in one study; each role includes the ones below it."""

    OWNER = "owner"  # everything, including the team and the study's API keys
    FACILITATOR = "facilitator"  # run rounds, curate, moderate
    OBSERVER = "observer"  # read the study and its reports

    @property
    def rank(self) -> int:
        return {Role.OBSERVER: 0, Role.FACILITATOR: 1, Role.OWNER: 2}[self]

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


class Membership(IdMixin, Base):
    """An account's role in a study; no row, no access (the study does not exist for it)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("survey_id", "facilitator_id"),)

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    facilitator_id: Mapped[int] = mapped_column(
        ForeignKey("facilitator.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "team_role"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TokenPurpose(enum.StrEnum):
    INVITE = "invite"  # a colleague's first password
    RESET = "reset"  # a forgotten password


class AccountToken(IdMixin, Base):
    """A one-time link to set an account's password; only the token's SHA-256 is kept."""

    __tablename__ = "account_token"

    facilitator_id: Mapped[int] = mapped_column(
        ForeignKey("facilitator.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
