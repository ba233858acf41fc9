"""Round deadlines: reading one from a form or the command line, and moving one later.

A date alone means the end of that day in UTC (23:59:59); a date and time is ISO 8601,
in UTC unless it names its offset (``2027-03-01T17:00+01:00``). The worker closes a round
within a minute of its deadline; panelists are told by mail when it moves.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from app.audit import record
from app.errors import N_, Conflict, Invalid
from app.models import Round, RoundState, Survey
from app.models.base import utcnow
from app.rounds import invitations
from app.schedule import plan

MAX_LENGTH = 40
EXAMPLE = "2027-03-01T17:00+01:00"


def parse(text: str) -> dt.datetime | None:
    """The deadline ``text`` stands for, in UTC; ``None`` for an empty text (no deadline)."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_LENGTH or not text.isprintable():
        raise Invalid(
            N_(
                "deadline: not a date; give a date (YYYY-MM-DD, the end of that day UTC) or "
                "an ISO 8601 date and time such as %(example)s"
            ),
            example=EXAMPLE,
        )
    try:
        if len(text) == len("YYYY-MM-DD"):
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(
            N_(
                "deadline: %(text)r is not a date; give a date (YYYY-MM-DD, the end of that "
                "day UTC) or an ISO 8601 date and time such as %(example)s"
            ),
            text=text,
            example=EXAMPLE,
        ) from None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def check_future(deadline: dt.datetime, *, now: dt.datetime | None = None) -> None:
    """Refuse a deadline that is not in the future."""
    now = now or utcnow()
    if deadline <= now:
        raise Invalid(
            N_("deadline: %(deadline)s has already passed (it is now %(now)s); give a later one"),
            deadline=_show(deadline),
            now=_show(now),
        )


def extend(
    session: Session, survey: Survey, round_: Round, deadline: dt.datetime, *, actor: str
) -> int:
    """Move the open round's deadline later, reschedule its reminders, tell the panel.

    Returns how many panelists are told. Only later: an earlier deadline would cut short
    the time panelists were promised.
    """
    invitations.lock_open(session, round_)
    check_future(deadline)
    previous = plan.as_utc(round_.deadline) if round_.deadline else None
    if round_.state != RoundState.OPEN:
        raise Conflict(N_("round %(number)s is not open"), number=round_.number)
    if previous is not None and deadline <= previous:
        raise Invalid(
            N_("deadline: %(deadline)s is not later than the current one, %(previous)s"),
            deadline=_show(deadline),
            previous=_show(previous),
        )

    round_.deadline = deadline
    session.flush()
    plan.replan(session, survey, round_)
    told = invitations.announce_deadline(session, survey, round_, previous)
    record(
        session,
        actor,
        "round.extend",
        survey.id,
        {
            "round": round_.number,
            "deadline": deadline.isoformat(),
            "previous": previous.isoformat() if previous else None,
        },
    )
    return told


def _show(value: dt.datetime) -> str:
    return plan.as_utc(value).strftime("%Y-%m-%d %H:%M UTC")
