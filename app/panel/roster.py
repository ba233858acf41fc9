"""The panel page's list: each panelist with how their latest invitation fared.

Only invitations (and fresh links) are shown per panelist, never reminders or answers:
reminders go to non-submitters only, so they would tell who has not answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.mail import status
from app.models import OutboxState, Panelist, Survey
from app.panel.service import list_for
from app.rounds import repository

_WORDS = {
    OutboxState.PENDING: "queued",
    OutboxState.SENDING: "being sent",
    OutboxState.SENT: "delivered",
    OutboxState.FAILED: "failed",
    OutboxState.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class Entry:
    panelist: Panelist
    delivery: status.Delivery | None
    round_number: int | None

    @property
    def state(self) -> str:
        """``none``, ``queued``, ``being sent``, ``delivered``, ``failed`` or ``cancelled``."""
        return _WORDS[self.delivery.state] if self.delivery else "none"

    @property
    def delivery_text(self) -> str:
        """One line: ``round 2 invitation delivered 2027-02-01`` or why it failed."""
        if self.delivery is None:
            return "not invited yet"
        round_part = f"round {self.round_number} invitation" if self.round_number else "invitation"
        when = self.delivery.at.strftime("%Y-%m-%d") if self.delivery.at else ""
        text = f"{round_part} {self.state} {when}".strip()
        if self.delivery.state == OutboxState.FAILED and self.delivery.error:
            text += f" ({self.delivery.error})"
        return text


def entries(session: Session, survey: Survey) -> list[Entry]:
    """The panel in order, each panelist with their latest invitation's fate."""
    panel = list_for(session, survey)
    deliveries = status.last_invitations(session, [p.id for p in panel])
    numbers = {r.id: r.number for r in repository.rounds_of(session, survey)}
    return [
        Entry(
            panelist=p,
            delivery=deliveries.get(p.id),
            round_number=numbers.get(deliveries[p.id].round_id or 0)
            if p.id in deliveries
            else None,
        )
        for p in panel
    ]
