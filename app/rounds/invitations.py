"""The mails a round sends to panelists, each with a fresh link: invitations, reminders,
deadline notices; and resending one panelist's link, retrying failed deliveries.

Who has submitted is worked out when needed from the respondent pseudonyms
(``respondent_key``), never stored on the panel side.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from app.audit import record
from app.errors import N_, Conflict
from app.mail.outbox import cancel_for_panelist, enqueue, enqueue_all
from app.models import (
    Outbox,
    OutboxState,
    Panelist,
    Respondent,
    Round,
    RoundState,
    Submission,
    Survey,
)
from app.rounds import links, repository
from app.schedule.plan import as_utc
from app.security import respondent_key

INVITATION = "invitation"
REMINDER = "reminder"
DEADLINE = "deadline"
# kind -> template
TEMPLATES = {INVITATION: "invitation", REMINDER: "reminder", DEADLINE: "deadline_extended"}


def context(survey: Survey, round_: Round, panelist: Panelist, **extra: Any) -> dict[str, Any]:
    """What the templates need; the deadline as an ISO 8601 UTC date and time."""
    return {
        "name": panelist.name,
        "survey_title": survey.text(survey.title, panelist.language),
        "round_number": round_.number,
        "statements": len(round_.items),
        "deadline": as_utc(round_.deadline).isoformat() if round_.deadline else None,
        **extra,
    }


def send(
    session: Session, survey: Survey, round_: Round, panelist: Panelist, kind: str, **extra: Any
) -> Outbox:
    """Mint a fresh link for ``panelist`` and queue a mail of ``kind`` carrying it."""
    if panelist.email is None:  # removed: nothing to send to
        raise Conflict(N_("this panelist has been removed from the panel"))
    link = links.mint(session, round_, panelist)
    return enqueue(
        session,
        kind=kind,
        to_address=panelist.email,
        language=panelist.language,
        template=TEMPLATES[kind],
        context=context(survey, round_, panelist, **extra),
        link=link,
        round_id=round_.id,
        panelist_id=panelist.id,
    )


def send_all(
    session: Session,
    survey: Survey,
    round_: Round,
    panelists: Sequence[Panelist],
    kind: str,
    **extra: Any,
) -> int:
    """:func:`send` to each of ``panelists`` (removed ones skipped), by two multi-row
    INSERTs; how many."""
    panelists = [p for p in panelists if p.email is not None]
    urls = links.mint_all(session, round_, panelists)
    return queue_all(session, survey, round_, zip(panelists, urls, strict=True), kind, **extra)


def queue_all(
    session: Session,
    survey: Survey,
    round_: Round,
    addressed: Iterable[tuple[Panelist, str]],
    kind: str,
    **extra: Any,
) -> int:
    """Queue a mail of ``kind`` to each panelist with their link (already minted); how many."""
    return enqueue_all(
        session,
        (
            {
                "kind": kind,
                "to_address": panelist.email,
                "language": panelist.language,
                "template": TEMPLATES[kind],
                "context": context(survey, round_, panelist, **extra),
                "link": url,
                "round_id": round_.id,
                "panelist_id": panelist.id,
            }
            for panelist, url in addressed
            if panelist.email is not None
        ),
    )


def submitted_keys(session: Session, round_: Round) -> set[str]:
    """The pseudonym keys of the respondents who have submitted ``round_``."""
    return set(
        session.scalars(
            select(Respondent.key)
            .join(Submission, Submission.respondent_id == Respondent.id)
            .where(Submission.round_id == round_.id, Submission.submitted_on.is_not(None))
        )
    )


def has_submitted(keys: set[str], panelist: Panelist) -> bool:
    return respondent_key(panelist.survey_id, panelist.id) in keys


def lock_open(session: Session, round_: Round) -> None:
    """Hold the round FOR SHARE, as an answer does, and refuse unless it is open."""
    state = session.scalar(
        select(Round.state).where(Round.id == round_.id).with_for_update(read=True)
    )
    if state != RoundState.OPEN:
        raise Conflict(N_("round %(number)s is not open"), number=round_.number)


def _invited_or_raise(session: Session, round_: Round, panelist: Panelist) -> None:
    if panelist.removed_at is not None:
        raise Conflict(N_("this panelist has been removed from the panel"))
    if panelist.id not in {p.id for p in links.invited(session, round_)}:
        raise Conflict(
            N_("%(name)s is not invited to round %(number)s; they join the next round you launch"),
            name=panelist.name,
            number=round_.number,
        )


def invite_late(session: Session, survey: Survey, panelist: Panelist, *, actor: str) -> bool:
    """Invite a panelist added while a round is open to that round; whether there was one."""
    round_ = repository.open_round(session, survey)
    if round_ is None:
        return False
    lock_open(session, round_)
    send(session, survey, round_, panelist, INVITATION)
    record(session, actor, "panel.invite", survey.id, {"round": round_.number})
    return True


def resend(session: Session, survey: Survey, panelist: Panelist, *, actor: str) -> Round:
    """A fresh link to the open round, by invitation; the panelist's earlier links stop working.

    For a link that was forwarded, leaked or lost. Their unsent mails of the round carry
    the old links, so they are cancelled.
    """
    round_ = repository.open_round(session, survey)
    if round_ is None:
        raise Conflict(N_("study %(key)r has no open round to send a link for"), key=survey.key)

    lock_open(session, round_)
    _invited_or_raise(session, round_, panelist)
    links.revoke(session, panelist, round_id=round_.id)
    cancel_for_panelist(session, panelist.id, "replaced by a fresh link", round_id=round_.id)
    send(session, survey, round_, panelist, INVITATION)
    record(session, actor, "panel.resend", survey.id, {"round": round_.number})
    return round_


def remind_one(
    session: Session, survey: Survey, round_: Round, panelist: Panelist, *, actor: str
) -> None:
    """A reminder to one panelist, whether or not they have submitted.

    Sending it only to a non-submitter would let the facilitator learn, from the mail
    counts, whether that one person has answered; so it goes in any case, worded for both
    (``nudge``: "if you have already submitted, thank you").
    """
    lock_open(session, round_)
    _invited_or_raise(session, round_, panelist)
    send(session, survey, round_, panelist, REMINDER, nudge=True)
    record(session, actor, "round.remind_one", survey.id, {"round": round_.number})


def announce_deadline(session: Session, survey: Survey, round_: Round, previous: Any) -> int:
    """Tell everyone invited to the round its new deadline; how many were told."""
    earlier = as_utc(previous).isoformat() if previous is not None else None
    panel = links.invited(session, round_)
    send_all(session, survey, round_, panel, DEADLINE, previous_deadline=earlier)
    return len(panel)


def retry_failed(session: Session, survey: Survey, round_: Round, *, actor: str) -> int:
    """Send again, with fresh links, the round's mails that failed for good; how many.

    A failed row has had its address and link erased, so each is rebuilt from the panel:
    the panelist's current address, a new link. A failed reminder goes again only to a
    panelist who still has not submitted. The failed rows are marked cancelled
    ("retried") so that they are counted once.
    """
    lock_open(session, round_)
    failed = list(
        session.scalars(
            select(Outbox)
            .where(Outbox.round_id == round_.id, Outbox.state == OutboxState.FAILED)
            .order_by(Outbox.id)
        )
    )
    keys = submitted_keys(session, round_)
    invited = {p.id: p for p in links.invited(session, round_)}
    done: set[tuple[int, str]] = set()
    replaced: list[int] = []
    for row in failed:
        panelist = invited.get(row.panelist_id) if row.panelist_id is not None else None
        if panelist is None or row.kind not in TEMPLATES:
            continue  # removed since, or not a round mail: it stays failed
        if row.kind == REMINDER and has_submitted(keys, panelist):
            continue  # answered since: the reminder stays failed, and is moot
        if (panelist.id, row.kind) not in done:
            send(session, survey, round_, panelist, row.kind)
            done.add((panelist.id, row.kind))
        replaced.append(row.id)
    if replaced:
        session.execute(
            update(Outbox)
            .where(Outbox.id.in_(replaced))
            .values(
                state=OutboxState.CANCELLED,
                last_error=func.coalesce(literal("retried after: ") + Outbox.last_error, "retried"),
            )
            .execution_options(synchronize_session="fetch")
        )
    record(session, actor, "mail.retry", survey.id, {"round": round_.number, "retried": len(done)})
    return len(done)
