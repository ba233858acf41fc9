"""Queue an email: a row in the caller's transaction, sent later by the worker.

Also what else changes a row before the worker gets to it: cancelling the unsent mail
of a closed round or of a removed panelist. A cancelled row is erased like a sent one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from app.db import insert_many
from app.models import Outbox, OutboxState
from app.models.base import utcnow
from app.security import seal, sealer

# A row that is done keeps what it was (kind, language, template, round), its state,
# attempts and timestamps; nothing that identifies the panelist or lets anyone in.
ERASED: dict[str, Any] = {"secret": None, "to_address": None, "context": {}}


def enqueue(
    session: Session,
    *,
    kind: str,
    to_address: str,
    language: str,
    template: str,
    context: dict[str, Any],
    link: str | None = None,
    round_id: int | None = None,
    panelist_id: int | None = None,
) -> Outbox:
    """Add an outbox row; ``link`` (a bearer URL) is stored sealed, never in clear."""
    row = Outbox(
        kind=kind,
        round_id=round_id,
        panelist_id=panelist_id,
        to_address=to_address,
        language=language,
        template=template,
        context=context,
        secret=seal(link) if link else None,
    )
    session.add(row)
    return row


def enqueue_all(session: Session, rows: Iterable[dict[str, Any]]) -> int:
    """:func:`enqueue` for many rows by one multi-row INSERT; how many.

    Each row holds :func:`enqueue`'s keyword arguments (``link`` included, sealed here).
    """
    seal_one = sealer()
    now = utcnow()
    values = [
        {
            "kind": row["kind"],
            "round_id": row.get("round_id"),
            "panelist_id": row.get("panelist_id"),
            "to_address": row["to_address"],
            "language": row["language"],
            "template": row["template"],
            "context": row["context"],
            "secret": seal_one(row["link"]) if row.get("link") else None,
            "state": OutboxState.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for row in rows
    ]
    insert_many(session, Outbox, values)
    return len(values)


def _cancel(session: Session, reason: str, *where: ColumnElement[bool]) -> int:
    """Cancel the unsent rows matching ``where``; how many."""
    result = session.execute(
        update(Outbox)
        # Rows being sent right now are left to their worker; see the worker's claim for
        # why none of them goes out for a closed round.
        .where(Outbox.state == OutboxState.PENDING, *where)
        .values(state=OutboxState.CANCELLED, last_error=reason, lease_until=None, **ERASED)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def cancel_for_round(session: Session, round_id: int) -> int:
    """Cancel a round's unsent invitations and reminders (the round has closed)."""
    return _cancel(session, "round closed", Outbox.round_id == round_id)


def cancel_for_panelist(
    session: Session, panelist_id: int, reason: str, *, round_id: int | None = None
) -> int:
    """Cancel a panelist's unsent mail (of one round, or all of it)."""
    where = [Outbox.panelist_id == panelist_id]
    if round_id is not None:
        where.append(Outbox.round_id == round_id)
    return _cancel(session, reason, *where)
