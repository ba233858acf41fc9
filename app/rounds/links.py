"""Access links: one bearer token per panelist and round, only its hash stored."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import insert_many
from app.models import AccessLink, Panelist, Round, RoundState
from app.models.base import today
from app.security import hash_token, new_token


def mint(session: Session, round_: Round, panelist: Panelist) -> str:
    """Create a link for ``panelist`` on ``round_`` and return its full URL (not stored)."""
    token = new_token()
    session.add(
        AccessLink(round_id=round_.id, panelist_id=panelist.id, token_hash=hash_token(token))
    )
    return f"{get_settings().base_url.rstrip('/')}/r/{token}"


def mint_all(session: Session, round_: Round, panelists: Sequence[Panelist]) -> list[str]:
    """:func:`mint` for each of ``panelists`` by one multi-row INSERT; their URLs, in order.

    A launch for 10,000 panelists would spend most of its time flushing ORM objects.
    The tokens live only in the returned URLs: only their hashes reach the database.
    """
    if not panelists:
        return []
    tokens = [new_token() for _ in panelists]
    day = today()
    insert_many(
        session,
        AccessLink,
        [
            {
                "round_id": round_.id,
                "panelist_id": p.id,
                "token_hash": hash_token(t),
                "created_on": day,
            }
            for p, t in zip(panelists, tokens, strict=True)
        ],
    )
    base = get_settings().base_url.rstrip("/")
    return [f"{base}/r/{token}" for token in tokens]


def resolve(session: Session, token: str) -> AccessLink | None:
    """The link a presented token stands for, or ``None``."""
    if not token or len(token) > 200:
        return None
    return session.scalar(select(AccessLink).where(AccessLink.token_hash == hash_token(token)))


def revoke(session: Session, panelist: Panelist, *, round_id: int | None = None) -> int:
    """Delete the panelist's links to ``round_id`` (else to every open round); how many.

    A deleted link stops resolving, and a browser session opened with it ends too: the
    session holds the link's id, which no longer exists. Links to closed rounds stay, as
    the record of who was invited; they open nothing but the closed-round page.
    """
    rounds = (
        select(Round.id).where(Round.id == round_id)
        if round_id is not None
        else select(Round.id).where(
            Round.survey_id == panelist.survey_id, Round.state == RoundState.OPEN
        )
    )
    result = session.execute(
        delete(AccessLink)
        .where(AccessLink.panelist_id == panelist.id, AccessLink.round_id.in_(rounds))
        # Also drops them from the session, so this unit of work sees them gone.
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def invited(session: Session, round_: Round) -> list[Panelist]:
    """The panelists invited to ``round_`` who are still on the panel, in panel order."""
    return list(
        session.scalars(
            select(Panelist)
            .where(
                Panelist.id.in_(
                    select(AccessLink.panelist_id).where(AccessLink.round_id == round_.id)
                ),
                Panelist.removed_at.is_(None),
            )
            .order_by(Panelist.id)
        )
    )
