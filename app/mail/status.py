"""What the outbox holds, in counts: per state, per round, and each panelist's invitation.

Never who was reminded: reminders go only to those who have not submitted, so a
per-panelist view of them would say who had not answered. The panel page shows
invitations (and fresh links) only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.models import Outbox, OutboxState
from app.models.base import utcnow

# What the panel page reports per panelist: the mails that carry their way in.
INVITATION_KINDS = ("invitation",)


@dataclass(frozen=True)
class Counts:
    """Outbox rows per state; ``stalled`` of the sending ones have an expired lease."""

    queued: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    stalled: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.sending + self.sent + self.failed + self.cancelled


@dataclass(frozen=True)
class RoundMail:
    """One round's mail: counts in all and per kind (invitation, reminder, ...)."""

    round_id: int
    counts: Counts
    by_kind: dict[str, Counts] = field(default_factory=dict)


_FIELD = {
    OutboxState.PENDING: "queued",
    OutboxState.SENDING: "sending",
    OutboxState.SENT: "sent",
    OutboxState.FAILED: "failed",
    OutboxState.CANCELLED: "cancelled",
}


def _counts(rows: list[tuple[str, int, int]]) -> Counts:
    """Counts from ``(state, rows, of which expired)`` triples."""
    values = dict.fromkeys(_FIELD.values(), 0)
    stalled = 0
    for state, count, expired in rows:
        values[_FIELD[OutboxState(state)]] += count
        stalled += expired
    return Counts(**values, stalled=stalled)


def _grouped(session: Session, *keys: Any, where: list[Any]) -> list[tuple[Any, ...]]:
    """``(*keys, state, rows, expired leases)`` per group."""
    expired = func.sum(
        case(
            (and_(Outbox.state == OutboxState.SENDING, Outbox.lease_until <= utcnow()), 1),
            else_=0,
        )
    )
    query = select(*keys, Outbox.state, func.count(), expired).where(*where)
    return [tuple(r) for r in session.execute(query.group_by(*keys, Outbox.state)).all()]


def totals(session: Session) -> Counts:
    """Every row of the outbox, per state."""
    return _counts([(s, int(c), int(e or 0)) for s, c, e in _grouped(session, where=[])])


def for_rounds(session: Session, round_ids: list[int]) -> dict[int, RoundMail]:
    """Per round of ``round_ids``: counts in all and per kind."""
    rows = _grouped(session, Outbox.round_id, Outbox.kind, where=[Outbox.round_id.in_(round_ids)])
    entries: dict[int, list[tuple[str, str, int, int]]] = {r: [] for r in round_ids}
    for round_id, kind, state, count, expired in rows:
        entries[int(round_id)].append((str(kind), state, int(count), int(expired or 0)))
    result = {}
    for round_id, found in entries.items():
        kinds = sorted({kind for kind, *_ in found})
        result[round_id] = RoundMail(
            round_id=round_id,
            counts=_counts([(s, c, e) for _, s, c, e in found]),
            by_kind={k: _counts([(s, c, e) for kk, s, c, e in found if kk == k]) for k in kinds},
        )
    return result


@dataclass(frozen=True)
class Delivery:
    """The panel page's line about one panelist's latest invitation."""

    round_id: int | None
    state: OutboxState
    at: dt.datetime | None  # sent, or queued
    error: str | None


def last_invitations(session: Session, panelist_ids: list[int]) -> dict[int, Delivery]:
    """Each panelist's latest invitation (or fresh link): queued, sent, failed or cancelled."""
    if not panelist_ids:
        return {}
    latest = (
        select(func.max(Outbox.id))
        .where(Outbox.panelist_id.in_(panelist_ids), Outbox.kind.in_(INVITATION_KINDS))
        .group_by(Outbox.panelist_id)
    )
    rows = session.scalars(select(Outbox).where(Outbox.id.in_(latest)))
    return {
        row.panelist_id: Delivery(
            round_id=row.round_id,
            state=row.state,
            at=row.sent_at or row.created_at,
            error=row.last_error,
        )
        for row in rows
        if row.panelist_id is not None
    }
