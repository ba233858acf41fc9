"""Access links: one bearer token per panelist and round, only its hash stored."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.models import AccessLink, Panelist, Round
from app.security import hash_token, new_token


def mint(session: Session, round_: Round, panelist: Panelist) -> str:
    """Create a link for ``panelist`` on ``round_`` and return its full URL (not stored)."""
    token = new_token()
    session.add(
        AccessLink(round_id=round_.id, panelist_id=panelist.id, token_hash=hash_token(token))
    )
    return f"{get_settings().base_url.rstrip('/')}/r/{token}"


def resolve(session: Session, token: str) -> AccessLink | None:
    """The link a presented token stands for, or ``None``."""
    if not token or len(token) > 200:
        return None
    return session.scalar(select(AccessLink).where(AccessLink.token_hash == hash_token(token)))
